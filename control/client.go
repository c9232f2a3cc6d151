package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/ospf"
)

// ClientTimeout bounds one request of a Client.
const ClientTimeout = 10 * time.Second

// ReachError says that the daemon's socket could not be used.
type ReachError struct {
	Path string
	Err  error
}

func (e *ReachError) Error() string {
	reason := e.Err.Error()
	// Keep "connect: no such file or directory" of
	// "dial unix /run/x.sock: connect: no such file or directory".
	var se *os.SyscallError
	if errors.As(e.Err, &se) {
		reason = se.Error()
	}
	hint := ""
	switch {
	case errors.Is(e.Err, syscall.ENOENT), errors.Is(e.Err, syscall.ECONNREFUSED):
		hint = " (is the daemon running?)"
	case errors.Is(e.Err, syscall.EACCES), errors.Is(e.Err, syscall.EPERM):
		hint = " (the socket is mode 0600: run as the daemon's user, usually root)"
	}
	return fmt.Sprintf("cannot reach anycostd at %s: %s%s", e.Path, reason, hint)
}

func (e *ReachError) Unwrap() error { return e.Err }

// Client asks the daemon listening on the socket at Path.
type Client struct {
	Path string
}

// CallRaw sends one command with args (nil: none) and returns the raw
// result.
func (c Client) CallRaw(ctx context.Context, command string, args any) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, ClientTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", c.Path)
	if err != nil {
		return nil, &ReachError{Path: c.Path, Err: err}
	}
	uc := conn.(*net.UnixConn)
	defer uc.Close()
	if dl, ok := ctx.Deadline(); ok {
		uc.SetDeadline(dl)
	}
	req := Request{Version: Version, Command: command}
	if args != nil {
		if req.Args, err = json.Marshal(args); err != nil {
			return nil, err
		}
	}
	if err := json.NewEncoder(uc).Encode(req); err != nil {
		return nil, &ReachError{Path: c.Path, Err: err}
	}
	uc.CloseWrite()
	var resp Response
	if err := json.NewDecoder(uc).Decode(&resp); err != nil {
		return nil, fmt.Errorf("anycostd at %s sent no valid answer: %w", c.Path, err)
	}
	if !resp.OK {
		return nil, fmt.Errorf("anycostd at %s: %s", c.Path, resp.Error)
	}
	if resp.Version != Version {
		return nil, fmt.Errorf("anycostd at %s speaks protocol version %d, this client %d", c.Path, resp.Version, Version)
	}
	return resp.Result, nil
}

// Call sends one command and decodes its result into result.
func (c Client) Call(ctx context.Context, command string, args, result any) error {
	raw, err := c.CallRaw(ctx, command, args)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, result); err != nil {
		return fmt.Errorf("bad answer from anycostd at %s to %s: %w", c.Path, command, err)
	}
	return nil
}

// Status asks for the daemon's status.
func (c Client) Status(ctx context.Context) (*Status, error) {
	var st Status
	if err := c.Call(ctx, CmdStatus, nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// LSDB asks for the OSPF instance's link-state database.
func (c Client) LSDB(ctx context.Context) ([]ospf.LSDBEntry, error) {
	var es []ospf.LSDBEntry
	return es, c.Call(ctx, CmdLSDB, nil, &es)
}

// Neighbors asks for the OSPF neighbors.
func (c Client) Neighbors(ctx context.Context) (*NeighborsResult, error) {
	var r NeighborsResult
	if err := c.Call(ctx, CmdNeighbors, nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Drain drains (on) or undrains a service, every service for "".
func (c Client) Drain(ctx context.Context, service string, on bool) (DrainResult, error) {
	cmd := CmdUndrain
	if on {
		cmd = CmdDrain
	}
	var r DrainResult
	return r, c.Call(ctx, cmd, ServiceArgs{Service: service}, &r)
}

// Explain asks how a service's metric came about (every service for "").
func (c Client) Explain(ctx context.Context, service string) ([]costmodel.Explanation, error) {
	var list []costmodel.Explanation
	return list, c.Call(ctx, CmdCost, ServiceArgs{Service: service}, &list)
}
