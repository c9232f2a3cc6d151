package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Setting is one top-level, [ospf] or [nd] key with its effective value written
// as TOML.
type Setting struct {
	Key   string // dotted: "router_id", "ospf.area"
	Value string // TOML literal: `"0.0.0.0"`, `10`, `"10s"`, `false`
}

// Settings returns every top-level, [ospf] and [nd] key with its
// effective value, in the order of testdata/reference.toml (the same list
// whatever the file holds).
func (c *Config) Settings() []Setting {
	o := &c.OSPF
	return []Setting{
		{"router_id", tomlString(DottedQuad(c.RouterID))},
		{"control_socket", tomlString(c.ControlSocket)},
		{"state_dir", tomlString(c.StateDir)},
		{"log_level", tomlString(levelName(c.LogLevel))},
		{"log_format", tomlString(c.LogFormat.String())},
		{"metrics_listen", tomlString(c.MetricsListen)},
		{"stop_timeout", tomlDuration(c.StopTimeout)},
		{"ospf.interface", tomlString(o.Interface)},
		{"ospf.area", tomlString(DottedQuad(o.Area))},
		{"ospf.instance_id", strconv.Itoa(int(o.InstanceID))},
		{"ospf.interface_cost", strconv.Itoa(int(o.InterfaceCost))},
		{"ospf.hello_interval", tomlDuration(o.HelloInterval)},
		{"ospf.dead_interval", tomlDuration(o.DeadInterval)},
		{"ospf.retransmit_interval", tomlDuration(o.RetransmitInterval)},
		{"ospf.transmit_delay", tomlDuration(o.TransmitDelay)},
		{"ospf.min_ls_interval", tomlDuration(o.MinLSInterval)},
		{"ospf.flush_timeout", tomlDuration(o.FlushTimeout)},
		{"ospf.stub_area", strconv.FormatBool(o.StubArea)},
		{"ospf.address_interface", tomlString(o.AddressInterface)},
		{"ospf.keep_addresses", strconv.FormatBool(o.KeepAddresses)},
		{"ospf.spf_nudge", strconv.FormatBool(o.SPFNudge)},
		{"ospf.ttl_security", strconv.FormatBool(o.TTLSecurity)},
		{"ospf.load_step", tomlFloat(o.LoadStep)},
		{"nd.interface", tomlString(c.ND.Interface)},
		{"nd.min_gap", tomlDuration(c.ND.MinGap)},
		{"nd.standby_after", tomlDuration(c.ND.StandbyAfter)},
	}
}

// String renders the effective configuration as TOML, every default
// written out. Parse reads it back to an equal Config.
func (c *Config) String() string {
	var b strings.Builder
	b.WriteString("# anycostd effective configuration (defaults filled in)\n")
	table := ""
	for _, s := range c.Settings() {
		t, k, ok := strings.Cut(s.Key, ".")
		if !ok {
			t, k = "", s.Key
		}
		// Tables and keys of a speaker that does not run are left out.
		if t == "ospf" && !c.HasOSPF() || t == "nd" && !c.HasND() || s.Key == "router_id" && c.RouterID == 0 {
			continue
		}
		if t != table {
			fmt.Fprintf(&b, "\n[%s]\n", t)
			table = t
		}
		fmt.Fprintf(&b, "%s = %s\n", k, s.Value)
	}
	if c.OSPF.Auth != nil {
		c.OSPF.Auth.render(&b)
	}
	if c.OSPF.BFD != nil && c.HasOSPF() {
		c.OSPF.BFD.render(&b)
	}
	for i := range c.Services {
		c.Services[i].render(&b)
	}
	if c.Router != nil {
		c.Router.render(&b)
	}
	return b.String()
}

func (s *Service) render(b *strings.Builder) {
	kv := func(k, v string) { fmt.Fprintf(b, "%s = %s\n", k, v) }
	b.WriteString("\n[[service]]\n")
	kv("name", tomlString(s.Name))
	kv("prefix", tomlString(s.Prefix.String()))
	kv("metric", strconv.Itoa(int(s.Metric)))
	kv("drain_time", tomlDuration(s.DrainTime))
	if s.DrainFile != "" {
		kv("drain_file", tomlString(s.DrainFile))
	}
	kv("drain_action", tomlString(s.DrainAction.String()))
	if s.Mode != ModeOSPF {
		kv("mode", tomlString(s.Mode.String()))
	}
	kv("capacity", tomlFloat(s.Capacity))
	kv("farm_rules", strconv.FormatBool(s.FarmRules))
	if m := s.Socket; m != nil {
		b.WriteString("\n[service.socket]\n")
		kv("port", strconv.Itoa(int(m.Port)))
		kv("address", tomlString(m.Address.String()))
		kv("interval", tomlDuration(m.Interval))
	}
	if p := s.Probe; p != nil {
		b.WriteString("\n[service.probe]\n")
		kv("kind", tomlString(p.Kind.String()))
		if p.Kind == ProbeDNS {
			kv("qname", tomlString(p.QName))
			kv("qtype", tomlString(QTypeString(p.QType)))
		}
		if p.Kind == ProbeUDP {
			kv("payload", tomlString(encodePayload(p.Payload)))
			if p.Expect != nil {
				kv("expect", tomlString(encodePayload(p.Expect)))
			}
		}
		kv("port", strconv.Itoa(int(p.Port)))
		kv("interval", tomlDuration(p.Interval))
		kv("timeout", tomlDuration(p.Timeout))
		kv("rise", strconv.Itoa(p.Rise))
		kv("fall", strconv.Itoa(p.Fall))
		kv("hung_after", tomlDuration(p.HungAfter))
	}
	if e := s.External; e != nil {
		b.WriteString("\n[service.external]\n")
		if e.File != "" {
			kv("file", tomlString(e.File))
		} else {
			argv := make([]string, len(e.Command))
			for i, a := range e.Command {
				argv[i] = tomlString(a)
			}
			kv("command", "["+strings.Join(argv, ", ")+"]")
		}
		if e.FullRate > 0 {
			kv("full_rate", tomlFloat(e.FullRate))
		}
		kv("interval", tomlDuration(e.Interval))
		kv("timeout", tomlDuration(e.Timeout))
	}
	if c := s.CPU; c != nil {
		b.WriteString("\n[service.cpu]\n")
		cg := c.Cgroup
		if cg == "." {
			cg = "/"
		}
		kv("cgroup", tomlString(cg))
		kv("cgroup_root", tomlString(c.CgroupRoot))
		if c.Cores > 0 {
			kv("cores", tomlFloat(c.Cores))
		}
		kv("interval", tomlDuration(c.Interval))
	}
	if w := s.LoadWeights; w != nil {
		b.WriteString("\n[service.load]\n")
		kv("rqueue", tomlFloat(w.RQueue))
		kv("drops", tomlFloat(w.Drops))
		kv("latency", tomlFloat(w.Latency))
		kv("external", tomlFloat(w.External))
		kv("cpu", tomlFloat(w.CPU))
	}
	for i, t := range s.Tiers {
		b.WriteString("\n[[service.tier]]\n")
		kv("metric", strconv.Itoa(int(t.Metric)))
		if i < len(s.Tiers)-1 { // the last tier has no thresholds
			kv("up", tomlFloat(t.Up))
			kv("down", tomlFloat(t.Down))
		}
		if i < len(s.TierPrefixes) && s.TierPrefixes[i].IsValid() {
			kv("prefix", tomlString(s.TierPrefixes[i].String()))
		}
	}
}

func tomlDuration(d time.Duration) string { return tomlString(d.String()) }

// tomlFloat writes a float so that it reads back as a float.
func tomlFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEn") { // n: NaN and Inf never get here
		s += ".0"
	}
	return s
}

// tomlString writes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < ' ' || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
