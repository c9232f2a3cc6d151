package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/anycostd/anycostd/lab"
)

// healthScript is what operators run beside FRR today: poll the service
// every interval; on the first failure remove the anycast /128 from lo
// (ospf6d then withdraws it), on the first success put it back. Rise and
// fall are 1, the fastest such a script can be.
const healthScript = `#!/bin/bash
# health check beside FRR ospf6d: $1 = poll interval (s), $2 = check timeout
addr=%[1]s
interval=$1
up=1
while :; do
	if %[2]s dnscheck '[::1]:53' "$2" >/dev/null 2>&1; then
		if [ $up = 0 ]; then ip -6 addr replace $addr dev lo nodad; up=1; echo "$(date +%%T.%%N) up"; fi
	else
		if [ $up = 1 ]; then ip -6 addr del $addr dev lo 2>/dev/null; up=0; echo "$(date +%%T.%%N) down"; fi
	fi
	sleep $interval
done
`

// startScript starts the health-check script on the server.
func (s *server) startScript(interval time.Duration) {
	path := filepath.Join(s.f.l.Dir(), "healthcheck.sh")
	if _, err := os.Stat(path); err != nil {
		body := fmt.Sprintf(healthScript, lab.Anycast, selfPath)
		if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
			s.f.r.failf("%v", err)
		}
	}
	s.scriptN++
	s.script = must(s.h.TryStart(fmt.Sprintf("healthcheck-%d", s.scriptN), "bash", path,
		strconv.FormatFloat(interval.Seconds(), 'f', -1, 64), "0.5s"))
}

func (s *server) stopScript() {
	if s.script != nil {
		s.script.Kill()
		s.script = nil
	}
}

// ---- ExaBGP ----

// exabgpAvailable reports why ExaBGP cannot be used here, or "".
func exabgpAvailable() string {
	if _, err := exec.LookPath("exabgp"); err != nil {
		return "the exabgp command is not installed (Debian package exabgp; `make bench` installs it with apt-get when it can)"
	}
	if err := exec.Command("python3", "-c", "import exabgp.application.healthcheck").Run(); err != nil {
		if err2 := exec.Command("/usr/bin/python3", "-c", "import exabgp.application.healthcheck").Run(); err2 != nil {
			return "python3 cannot import exabgp.application.healthcheck: " + err2.Error()
		}
	}
	return ""
}

// exaSettings are the healthcheck options of one ExaBGP variant.
type exaSettings struct {
	name string
	args []string
}

var (
	// exaDefaults: the healthcheck's defaults (interval 5 s, fast
	// interval 1 s, rise 3, fall 3, timeout 5 s): a down service is
	// announced with MED 1000 instead of 100, which takes it out of the
	// router's multipath set.
	exaDefaults = exaSettings{"defaults", nil}
	// exaFastest: checks every 200 ms, rise 1, fall 1, 1 s timeout (its
	// smallest), withdraw on down.
	exaFastest = exaSettings{"fastest", []string{"--interval", "0.2", "--fast-interval", "0.2",
		"--rise", "1", "--fall", "1", "--timeout", "1", "--withdraw-on-down"}}
)

// startExaBGP starts ExaBGP on the server: a BGP session to the router
// (AS 65001 -> 65000) and the healthcheck process announcing the /128.
func (s *server) startExaBGP(set exaSettings) {
	s.ensureAnycast()
	dir := filepath.Join(s.f.l.Dir(), s.h.Name()+"-exabgp")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		s.f.r.failf("%v", err)
	}
	hc := filepath.Join(dir, "healthcheck-"+set.name+".sh")
	args := ""
	for _, a := range set.args {
		args += " " + a
	}
	// The check command runs under a shell (subprocess shell=True).
	body := fmt.Sprintf("#!/bin/sh\nexec /usr/bin/python3 -m exabgp healthcheck --no-syslog --name %s --ip %s --cmd \"%s dnscheck '[::1]:53' 0.5s\"%s\n",
		s.h.Name(), lab.Anycast, selfPath, args)
	if err := os.WriteFile(hc, []byte(body), 0o755); err != nil {
		s.f.r.failf("%v", err)
	}
	conf := filepath.Join(dir, "exabgp-"+set.name+".conf")
	cfg := fmt.Sprintf(`process hc {
	run %s;
	encoder text;
}

neighbor %s {
	router-id %s;
	local-address %s;
	local-as 65001;
	peer-as 65000;
	family {
		ipv6 unicast;
	}
	api {
		processes [ hc ];
	}
}
`, hc, routerAddr, s.rid, s.global)
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		s.f.r.failf("%v", err)
	}
	s.exaN++
	s.exa = must(s.h.TryStart(fmt.Sprintf("exabgp-%d", s.exaN), "env",
		"exabgp.daemon.user=root", "exabgp.daemon.drop=false", "exabgp.daemon.daemonize=false",
		"exabgp.api.cli=false", "exabgp.log.destination=stdout", "exabgp.tcp.bind=",
		"exabgp", conf))
}

// stopExaBGP sends SIGTERM (the healthcheck withdraws, the session
// closes) and kills what is left after 10 s.
func (s *server) stopExaBGP() {
	if s.exa == nil {
		return
	}
	_ = s.exa.Signal(syscall.SIGTERM)
	if err := s.exa.WaitTimeout(10 * time.Second); err == lab.ErrTimeout {
		s.f.r.logf("%s: exabgp did not exit within 10 s of SIGTERM; killed", s.h.Name())
	}
	s.exa.Kill() // the process group: the healthcheck too
	s.exa = nil
}
