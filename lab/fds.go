package lab

import (
	"os"
	"strconv"
	"sync"
	"syscall"
)

// keepDescriptors marks every descriptor the process inherited above
// standard error close-on-exec, once, so the daemons a lab starts (NSD,
// FRR, anycostd, dumpcap) inherit none of them.
//
// Why: a lab run under `flock LOCKFILE go test ...` (the shared lab lock)
// inherits the lock's descriptor without close-on-exec, and so did every
// daemon it started. When such a test process died without its cleanup
// (killed by a timeout), its NSD processes lived on, reparented to init,
// with the lock open: every other lab run waited on it (seen: two NSD
// servers of a dead lab held the lock for over ten minutes).
var keepDescriptors = sync.OnceFunc(closeOnExecAll)

// closeOnExecAll marks every open descriptor above standard error
// close-on-exec.
func closeOnExecAll() {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}
