// Package control is anycostd's control protocol: JSON over the daemon's
// unix socket, one request per connection. The client writes one request
// and shuts its side down; the daemon answers with one response and
// closes.
//
//	-> {"version":2,"command":"status","args":{}}
//	<- {"version":2,"ok":true,"result":{...}}
//	<- {"version":2,"ok":false,"error":"unknown command \"x\""}
//
// The request and result types below are the protocol's schema: the CLI,
// the lab and the benchmarks decode the daemon's answers into them. A new
// command is one entry in handlers (server.go), one method of Client and,
// for the CLI, one command in cmd/anycostd.
package control

import (
	"encoding/json"

	"github.com/anycostd/anycostd/bfd"
	"github.com/anycostd/anycostd/ndproxy"
	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/services"
)

// Version is the protocol version this build speaks. Version 2 gave
// status its per-mode shape (Status); version 1 put the OSPF instance's
// status at the top level.
const Version = 2

// MaxRequestSize bounds what the daemon reads from one connection.
const MaxRequestSize = 64 << 10

// The commands.
const (
	CmdStatus    = "status"
	CmdLSDB      = "lsdb"
	CmdNeighbors = "neighbors"
	CmdDrain     = "drain"
	CmdUndrain   = "undrain"
	CmdCost      = "cost"
)

// Request is one request.
type Request struct {
	Version int             `json:"version"`
	Command string          `json:"command"`
	Args    json.RawMessage `json:"args,omitempty"`
}

// Response is the answer to one request.
type Response struct {
	Version int             `json:"version"`
	OK      bool            `json:"ok"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   string          `json:"error,omitempty"`
}

// ServiceArgs are the arguments of drain, undrain and cost: one service,
// or every service ("").
type ServiceArgs struct {
	Service string `json:"service,omitempty"`
}

// DrainResult is the result of drain and undrain.
type DrainResult struct {
	Service string `json:"service"` // "" = every service
	Drained bool   `json:"drained"`
}

// NeighborsResult is the result of neighbors.
type NeighborsResult struct {
	Interface      string                `json:"interface"`
	InterfaceState string                `json:"interface_state"`
	Neighbors      []ospf.NeighborStatus `json:"neighbors"`
	// BFD is the BFD sessions with the neighbors ([ospf.bfd]); absent
	// without BFD.
	BFD *bfd.Status `json:"bfd,omitempty"`
}

// Status is the result of status: each mode's own status (absent when
// the mode does not run) and, whatever the modes, what each service has
// on the wire. While the daemon starts (it waits for its interface, say)
// Starting says what it is doing and nothing else is set.
type Status struct {
	Starting string       `json:"starting,omitempty"`
	OSPF     *ospf.Status `json:"ospf,omitempty"`
	// BFD is the BFD speaker's sessions with the OSPF neighbors that are
	// the DR or BDR; absent without [ospf.bfd].
	BFD      *bfd.Status     `json:"bfd,omitempty"`
	ND       *ndproxy.Status `json:"nd,omitempty"`
	Services []services.Wire `json:"services"`
	// Drains are the manual drains and where they are kept (absent from
	// a daemon that does not report them).
	Drains *services.DrainReport `json:"drains,omitempty"`
}
