package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
)

// clientTimeout bounds one request from the CLI.
const clientTimeout = 10 * time.Second

// reachError says that the daemon's socket could not be used.
type reachError struct {
	path string
	err  error
}

func (e *reachError) Error() string {
	reason := e.err.Error()
	// Keep "connect: no such file or directory" of
	// "dial unix /run/x.sock: connect: no such file or directory".
	var se *os.SyscallError
	if errors.As(e.err, &se) {
		reason = se.Error()
	}
	hint := ""
	switch {
	case errors.Is(e.err, syscall.ENOENT), errors.Is(e.err, syscall.ECONNREFUSED):
		hint = " (is the daemon running?)"
	case errors.Is(e.err, syscall.EACCES), errors.Is(e.err, syscall.EPERM):
		hint = " (the socket is mode 0600: run as the daemon's user, usually root)"
	}
	return fmt.Sprintf("cannot reach anycostd at %s: %s%s", e.path, reason, hint)
}

func (e *reachError) Unwrap() error { return e.err }

// callControl sends one command to the daemon at path and returns the raw
// result.
func callControl(ctx context.Context, path, command string, args any) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, clientTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, &reachError{path: path, err: err}
	}
	c := conn.(*net.UnixConn)
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	req := controlRequest{Version: protocolVersion, Command: command}
	if args != nil {
		if req.Args, err = json.Marshal(args); err != nil {
			return nil, err
		}
	}
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return nil, &reachError{path: path, err: err}
	}
	c.CloseWrite()
	var resp controlResponse
	if err := json.NewDecoder(c).Decode(&resp); err != nil {
		return nil, fmt.Errorf("anycostd at %s sent no valid answer: %w", path, err)
	}
	if !resp.OK {
		return nil, fmt.Errorf("anycostd at %s: %s", path, resp.Error)
	}
	if resp.Version != protocolVersion {
		return nil, fmt.Errorf("anycostd at %s speaks protocol version %d, this client %d", path, resp.Version, protocolVersion)
	}
	return resp.Result, nil
}
