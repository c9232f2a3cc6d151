package control

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"time"

	"github.com/anycostd/anycostd/agent"
	"github.com/anycostd/anycostd/ospf"
)

// CmdRouterStatus is the router agent's status (`anycostd router
// status`): every programmed prefix, its weighted next hops and why each
// weight is what it is, the servers left out and why, and the agent's OSPF
// instance.
const CmdRouterStatus = "router-status"

// RouterStatus is the answer to CmdRouterStatus.
type RouterStatus struct {
	Agent agent.Status `json:"agent"`
	// Backend is "zebra" or "kernel".
	Backend string `json:"backend"`
	// Restarts counts the agent's restarts after zebra closed the
	// connection.
	Restarts uint64      `json:"restarts"`
	OSPF     ospf.Status `json:"ospf"`
	// Config says when the configuration was loaded and how the last
	// reload (SIGHUP) went.
	Config ConfigLoad `json:"config"`
}

// ConfigLoad is the history of a daemon's configuration file.
type ConfigLoad struct {
	Path string `json:"path"`
	// Loaded is when the running configuration was read from a valid
	// file: the start, or the last reload that was not refused whole.
	Loaded time.Time `json:"loaded"`
	// Reloads counts the reloads, Failed those refused whole.
	Reloads uint64 `json:"reloads"`
	Failed  uint64 `json:"failed"`
	// LastReload is when the last reload ran (zero: none yet); Error its
	// error when it was refused whole ("" when it was not): an invalid
	// file (file:line: key: what), or a change the agent could not make.
	LastReload time.Time `json:"last_reload,omitempty"`
	Error      string    `json:"error,omitempty"`
	// Refused are the keys the last reload left at their running values
	// (they need a restart).
	Refused []string `json:"refused,omitempty"`
}

// RouterBackend is what a router agent's control socket asks.
type RouterBackend interface {
	RouterStatus(ctx context.Context) (RouterStatus, error)
	LSDB(ctx context.Context) ([]ospf.LSDBEntry, error)
}

// NewRouterServer returns a server of the router agent's commands
// (router-status, lsdb) on the listener Listen opened.
func NewRouterServer(ln *net.UnixListener, b RouterBackend, log *slog.Logger) *Server {
	return &Server{ln: ln, log: log, handlers: map[string]handler{
		CmdRouterStatus: func(ctx context.Context, _ json.RawMessage) (any, error) {
			return b.RouterStatus(ctx)
		},
		CmdLSDB: func(ctx context.Context, _ json.RawMessage) (any, error) {
			return b.LSDB(ctx)
		},
	}}
}

// RouterStatus asks a router agent for its status.
func (c Client) RouterStatus(ctx context.Context) (*RouterStatus, error) {
	var st RouterStatus
	if err := c.Call(ctx, CmdRouterStatus, nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}
