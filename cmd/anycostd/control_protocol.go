package main

import (
	"encoding/json"

	"github.com/anycostd/anycostd/ndproxy"
	"github.com/anycostd/anycostd/ospf"
)

// The control protocol: JSON over the daemon's unix socket, one request
// per connection. The client writes one request and shuts its side down;
// the daemon answers with one response and closes.
//
//	-> {"version":1,"command":"status","args":{}}
//	<- {"version":1,"ok":true,"result":{...}}
//	<- {"version":1,"ok":false,"error":"unknown command \"x\""}
//
// A new command is one entry in controlHandlers (control_server.go) and,
// for the CLI, one entry in clientCommands (commands.go).

// protocolVersion is the version this build speaks.
const protocolVersion = 1

// maxRequestSize bounds what the daemon reads from one connection.
const maxRequestSize = 64 << 10

type controlRequest struct {
	Version int             `json:"version"`
	Command string          `json:"command"`
	Args    json.RawMessage `json:"args,omitempty"`
}

type controlResponse struct {
	Version int             `json:"version"`
	OK      bool            `json:"ok"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   string          `json:"error,omitempty"`
}

// neighborsResult is the result of the "neighbors" command.
type neighborsResult struct {
	Interface      string                `json:"interface"`
	InterfaceState string                `json:"interface_state"`
	Neighbors      []ospf.NeighborStatus `json:"neighbors"`
}

// statusResult is the result of the "status" command: the OSPF
// instance's status (its fields at the top level, as in every version;
// without [ospf], the ND speaker's services in that shape) and, with
// [nd], the ND speaker's own status under "nd" (added in protocol
// version 1 without a version change: clients ignore fields they do not
// know).
type statusResult struct {
	ospf.Status
	ND *ndproxy.Status `json:"nd,omitempty"`
}
