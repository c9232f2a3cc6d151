package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/ospf"
)

// ErrNoOSPF is the answer to the OSPF commands (lsdb, neighbors) of a
// daemon that runs no OSPF instance.
var ErrNoOSPF = errors.New("this anycostd runs no OSPF instance (no [ospf] table: every service is in ND mode)")

// ErrStarting is the answer to every command but status while the daemon
// starts: nothing runs yet that could answer it.
var ErrStarting = errors.New("anycostd is starting")

// Backend is what the server asks: the daemon answers it, tests use a
// fake. LSDB returns ErrNoOSPF without an OSPF instance.
type Backend interface {
	Status(ctx context.Context) (Status, error)
	LSDB(ctx context.Context) ([]ospf.LSDBEntry, error)
	Drain(ctx context.Context, service string, on bool) error
	Explain(ctx context.Context, service string) ([]costmodel.Explanation, error)
}

func decodeArgs(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("bad arguments: %w", err)
	}
	return nil
}

func drainHandler(b Backend, on bool) handler {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var a ServiceArgs
		if err := decodeArgs(raw, &a); err != nil {
			return nil, err
		}
		if err := b.Drain(ctx, a.Service, on); err != nil {
			return nil, err
		}
		return DrainResult{Service: a.Service, Drained: on}, nil
	}
}

// handler serves one command. args is the request's "args" (may be nil).
type handler func(ctx context.Context, args json.RawMessage) (any, error)

// handlers is the dispatch table of the control socket.
func handlers(b Backend) map[string]handler {
	return map[string]handler{
		CmdStatus: func(ctx context.Context, _ json.RawMessage) (any, error) {
			return b.Status(ctx)
		},
		CmdLSDB: func(ctx context.Context, _ json.RawMessage) (any, error) {
			return b.LSDB(ctx)
		},
		CmdDrain:   drainHandler(b, true),
		CmdUndrain: drainHandler(b, false),
		CmdCost: func(ctx context.Context, raw json.RawMessage) (any, error) {
			var a ServiceArgs
			if err := decodeArgs(raw, &a); err != nil {
				return nil, err
			}
			return b.Explain(ctx, a.Service)
		},
		CmdNeighbors: func(ctx context.Context, _ json.RawMessage) (any, error) {
			st, err := b.Status(ctx)
			if err != nil {
				return nil, err
			}
			if st.Starting != "" {
				return nil, fmt.Errorf("%w: %s", ErrStarting, st.Starting)
			}
			if st.OSPF == nil {
				return nil, ErrNoOSPF
			}
			nb := st.OSPF.Neighbors
			if nb == nil {
				nb = []ospf.NeighborStatus{}
			}
			return NeighborsResult{
				Interface:      st.OSPF.Interface.Name,
				InterfaceState: st.OSPF.Interface.State,
				Neighbors:      nb,
				BFD:            st.BFD,
			}, nil
		},
	}
}

// Timeouts of one control connection.
const (
	connTimeout    = 10 * time.Second
	handlerTimeout = 5 * time.Second
)

// Listen opens the control socket at path, mode 0600, creating its
// folder (0755) if needed. A stale socket left by a dead daemon is
// replaced; a live one, or a file that is not a socket, is an error.
func Listen(path string) (*net.UnixListener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("control socket: %s exists and is not a socket; not replacing it", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("control socket: another anycostd is listening on %s", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("control socket: removing the stale socket: %w", err)
		}
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	// Connecting needs write permission on the socket, which the umask
	// already keeps from others until this chmod.
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return ln, nil
}

// Server answers requests on the control socket.
type Server struct {
	ln       *net.UnixListener
	handlers map[string]handler
	log      *slog.Logger
	wg       sync.WaitGroup
}

// NewServer returns a server of b on the listener Listen opened.
func NewServer(ln *net.UnixListener, b Backend, log *slog.Logger) *Server {
	return &Server{ln: ln, handlers: handlers(b), log: log}
}

// Serve accepts connections until the listener is closed.
func (s *Server) Serve(ctx context.Context) {
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Error("control socket: accept", "err", err)
			}
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(ctx, c)
		}()
	}
}

// Close stops the server, removes the socket file and waits for the
// requests in progress.
func (s *Server) Close() error {
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *Server) handle(ctx context.Context, c *net.UnixConn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(connTimeout))
	resp := s.answer(ctx, io.LimitReader(c, MaxRequestSize))
	b, err := json.Marshal(resp)
	if err != nil {
		b, _ = json.Marshal(Response{Version: Version, Error: "cannot encode the result: " + err.Error()})
	}
	b = append(b, '\n')
	if _, err := c.Write(b); err != nil {
		s.log.Debug("control socket: write", "err", err)
	}
}

func (s *Server) answer(ctx context.Context, r io.Reader) Response {
	fail := func(format string, args ...any) Response {
		return Response{Version: Version, Error: fmt.Sprintf(format, args...)}
	}
	var req Request
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return fail("bad request: %v", err)
	}
	if req.Version != Version {
		return fail("unsupported protocol version %d (this anycostd speaks version %d)", req.Version, Version)
	}
	h, ok := s.handlers[req.Command]
	if !ok {
		return fail("unknown command %q", req.Command)
	}
	ctx, cancel := context.WithTimeout(ctx, handlerTimeout)
	defer cancel()
	result, err := h(ctx, req.Args)
	if err != nil {
		s.log.Debug("control socket: command failed", "command", req.Command, "err", err)
		return fail("%s: %v", req.Command, err)
	}
	b, err := json.Marshal(result)
	if err != nil {
		return fail("%s: cannot encode the result: %v", req.Command, err)
	}
	return Response{Version: Version, OK: true, Result: b}
}
