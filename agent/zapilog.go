package agent

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"syscall"

	"github.com/osrg/gobgp/v4/pkg/zebra"
)

// zapiLogHandler is the handler of the logger the agent gives gobgp's
// ZAPI client (github.com/osrg/gobgp/v4 v4.8.0, pkg/zebra/zapi.go). That
// client logs at Error or Warn what the agent expects and handles itself;
// the handler logs those records at Debug and passes every other record
// as it is. Checked against v4.8.0's log calls; a newer gobgp must be
// checked again (a renamed message is kept at its level, never hidden):
//
//   - "failed to read header" (Error, ReceiveSingleMsg) and "failed to
//     read body" (Error) with Error EOF, unexpected EOF or connection
//     reset: the connection closed, by the agent's Close or because zebra
//     exited. The agent learns it from the client's Receive channel and
//     logs it once itself ("zebra connection lost", zebraBackend.drain).
//     Other read errors are kept.
//   - "failed to write" (Error, NewClient's send loop) with Error broken
//     pipe, connection reset or use of a closed connection: a message
//     (a withdrawal of Close, or a route sent as zebra exited) met the
//     closed connection. The same close; other write errors are kept.
//   - "failed to decode body" (Warn, ReceiveSingleMsg): a message zebra
//     sent that gobgp's decoder rejects. The agent reads nothing zebra
//     sends (it keeps the connection and drains it), so no failed
//     decode can affect it; the record is kept when its command is one
//     the agent uses (zapiUsedCommands, none today).
//
// Kept as they are: "ZAPI version mismatch ..." (Warn: the receive loop
// stops, the connection is useless), "failed to decode header" (Error),
// "failed to serialize: ..." (Warn: a message of the agent's was not
// sent), "failed to send label manager connect" (Warn; the agent asks for
// no labels). gobgp's Debug records stay Debug.
type zapiLogHandler struct {
	next slog.Handler
}

// zapiUsedCommands are the ZAPI commands (zebra.APIType, as numbered in
// the message header) whose content the agent reads: none. The agent
// only keeps the connection open and drains it.
var zapiUsedCommands = map[uint16]bool{}

func newZAPILogHandler(next slog.Handler) slog.Handler { return &zapiLogHandler{next: next} }

// Enabled passes on the question: a record demoted to Debug is dropped
// in Handle when Debug is not enabled.
func (h *zapiLogHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *zapiLogHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level > slog.LevelDebug && zapiBenign(r) {
		if !h.next.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		from := r.Level
		r = r.Clone()
		r.Level = slog.LevelDebug
		r.AddAttrs(slog.String("demoted_from", from.String()))
	}
	return h.next.Handle(ctx, r)
}

func (h *zapiLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &zapiLogHandler{next: h.next.WithAttrs(as)}
}

func (h *zapiLogHandler) WithGroup(name string) slog.Handler {
	return &zapiLogHandler{next: h.next.WithGroup(name)}
}

// closedConnErrors are the error texts of a connection closed under a
// read or a write.
var closedConnErrors = []string{
	io.EOF.Error(), // also matches "unexpected EOF"
	syscall.EPIPE.Error(),
	syscall.ECONNRESET.Error(),
	net.ErrClosed.Error(),
}

// zapiBenign reports whether r is one of the records zapiLogHandler
// demotes.
func zapiBenign(r slog.Record) bool {
	var topic, errText string
	command, hasCommand := -1, false
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "Topic":
			topic = a.Value.String()
		case "Error":
			errText = a.Value.String()
		case "Header":
			command, hasCommand = zapiCommand(a.Value.Any())
		}
		return true
	})
	if topic != "Zebra" {
		return false
	}
	switch r.Message {
	case "failed to read header", "failed to read body", "failed to write":
		for _, e := range closedConnErrors {
			if strings.HasSuffix(errText, e) {
				return true
			}
		}
	case "failed to decode body":
		return hasCommand && !zapiUsedCommands[uint16(command)]
	}
	return false
}

// zapiCommand is the command of a record's Header attribute (gobgp logs
// the *zebra.Header of the message).
func zapiCommand(v any) (int, bool) {
	switch h := v.(type) {
	case *zebra.Header:
		if h == nil {
			return -1, false
		}
		return int(h.Command), true
	case zebra.Header:
		return int(h.Command), true
	}
	return -1, false
}
