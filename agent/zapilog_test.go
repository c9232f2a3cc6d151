package agent

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"syscall"
	"testing"

	"github.com/osrg/gobgp/v4/pkg/zebra"
)

// zapiLogHandler demotes to Debug exactly the records of gobgp v4.8.0's
// ZAPI client that the agent expects (a closed connection, a message it
// does not read that fails to decode) and keeps every other record,
// gobgp's real failures and the agent's own lines, at its level. The
// records are written as gobgp's pkg/zebra/zapi.go writes them.
func TestZAPILogHandler(t *testing.T) {
	hdr := &zebra.Header{Len: 80, Marker: 254, Version: 6, Command: zapiInterfaceAdd}
	closedWrite := fmt.Errorf("write unix @->/tmp/anycostd-zapi-1/zapi: %w", syscall.EPIPE).Error()
	for _, tc := range []struct {
		name  string
		log   func(l *slog.Logger)
		level string // what the agent's log shows; "" nothing at Info
	}{
		{"read header EOF", func(l *slog.Logger) {
			l.Error("failed to read header", slog.String("Topic", "Zebra"), slog.String("Error", io.EOF.Error()))
		}, ""},
		{"read header reset", func(l *slog.Logger) {
			l.Error("failed to read header", slog.String("Topic", "Zebra"),
				slog.String("Error", "read unix @->/tmp/anycostd-zapi-1/zapi: read: "+syscall.ECONNRESET.Error()))
		}, ""},
		{"read body unexpected EOF", func(l *slog.Logger) {
			l.Error("failed to read body", slog.String("Topic", "Zebra"), slog.Any("Header", hdr), slog.String("Error", io.ErrUnexpectedEOF.Error()))
		}, ""},
		{"write broken pipe", func(l *slog.Logger) {
			l.Error("failed to write", slog.String("Topic", "Zebra"), slog.String("Error", closedWrite))
		}, ""},
		{"write on a closed conn", func(l *slog.Logger) {
			l.Error("failed to write", slog.String("Topic", "Zebra"), slog.String("Error", "write unix ->: use of closed network connection"))
		}, ""},
		{"decode of a message the agent does not read", func(l *slog.Logger) {
			l.Warn("failed to decode body", slog.String("Topic", "Zebra"), slog.Any("Header", hdr),
				slog.Any("Data", []byte{1, 2}), slog.String("Error", "lack of bytes"))
		}, ""},
		// Kept.
		{"read error other than a close", func(l *slog.Logger) {
			l.Error("failed to read header", slog.String("Topic", "Zebra"), slog.String("Error", "read: i/o timeout"))
		}, "ERROR"},
		{"write error other than a close", func(l *slog.Logger) {
			l.Error("failed to write", slog.String("Topic", "Zebra"), slog.String("Error", "write: no buffer space available"))
		}, "ERROR"},
		{"decode without a header", func(l *slog.Logger) {
			l.Warn("failed to decode body", slog.String("Topic", "Zebra"), slog.String("Error", "lack of bytes"))
		}, "WARN"},
		{"header", func(l *slog.Logger) {
			l.Error("failed to decode header", slog.String("Topic", "Zebra"), slog.String("Error", "unsupported ZAPI version: 9"))
		}, "ERROR"},
		{"version mismatch", func(l *slog.Logger) {
			l.Warn("ZAPI version mismatch. configured version: 6, version of received message:5", slog.String("Topic", "Zebra"))
		}, "WARN"},
		{"serialize", func(l *slog.Logger) {
			l.Warn("failed to serialize: &{...}", slog.String("Topic", "Zebra"))
		}, "WARN"},
		{"another topic", func(l *slog.Logger) {
			l.Error("failed to read header", slog.String("Topic", "BGP"), slog.String("Error", io.EOF.Error()))
		}, "ERROR"},
		{"the agent's own line", func(l *slog.Logger) { l.Warn("zebra connection lost") }, "WARN"},
		{"info", func(l *slog.Logger) { l.Info("route programmed") }, "INFO"},
	} {
		for _, debug := range []bool{false, true} {
			var b bytes.Buffer
			level := slog.LevelInfo
			if debug {
				level = slog.LevelDebug
			}
			next := slog.NewTextHandler(&b, &slog.HandlerOptions{Level: level})
			tc.log(slog.New(newZAPILogHandler(next)).With("backend", "zebra"))
			got := b.String()
			want := tc.level
			if want == "" && debug {
				want = "DEBUG"
			}
			switch {
			case want == "" && got != "":
				t.Errorf("%s: logged at Info: %s", tc.name, got)
			case want != "" && !strings.Contains(got, "level="+want+" "):
				t.Errorf("%s (debug %v): got %q, want level %s", tc.name, debug, got, want)
			case want != "" && !strings.Contains(got, "backend=zebra"):
				t.Errorf("%s: lost the logger's attributes: %s", tc.name, got)
			case want == "DEBUG" && !strings.Contains(got, "demoted_from="):
				t.Errorf("%s: demoted without saying so: %s", tc.name, got)
			}
		}
	}
}

// A record the agent reads would be kept: the decode failure of a
// command in zapiUsedCommands stays a warning.
func TestZAPILogHandlerUsedCommand(t *testing.T) {
	zapiUsedCommands[zapiRouterIDUpd] = true
	defer delete(zapiUsedCommands, zapiRouterIDUpd)
	var b bytes.Buffer
	l := slog.New(newZAPILogHandler(slog.NewTextHandler(&b, nil)))
	l.Warn("failed to decode body", slog.String("Topic", "Zebra"), slog.Any("Header", &zebra.Header{Version: 6, Command: zapiRouterIDUpd}),
		slog.String("Error", errors.New("not enough data for router ID update").Error()))
	if !strings.Contains(b.String(), "level=WARN") {
		t.Errorf("decode failure of a used command: %q", b.String())
	}
}
