package config

import (
	"reflect"
	"strings"
)

// The raw form mirrors the file. Tables are structs and arrays of tables
// are slices, so that the decoder marks their keys; every leaf is an `any`
// so that the validator, not the decoder, reports a wrong type, with the
// key's line and a hint (for instance that durations are strings).

type rawConfig struct {
	RouterID      any          `toml:"router_id"`
	ControlSocket any          `toml:"control_socket"`
	StateDir      any          `toml:"state_dir"`
	LogLevel      any          `toml:"log_level"`
	LogFormat     any          `toml:"log_format"`
	MetricsListen any          `toml:"metrics_listen"`
	StopTimeout   any          `toml:"stop_timeout"`
	OSPF          rawOSPF      `toml:"ospf"`
	ND            *rawND       `toml:"nd"`
	Router        *rawRouter   `toml:"router"`
	Service       []rawService `toml:"service"`
}

type rawOSPF struct {
	Interface          any `toml:"interface"`
	Area               any `toml:"area"`
	InstanceID         any `toml:"instance_id"`
	InterfaceCost      any `toml:"interface_cost"`
	HelloInterval      any `toml:"hello_interval"`
	DeadInterval       any `toml:"dead_interval"`
	RetransmitInterval any `toml:"retransmit_interval"`
	TransmitDelay      any `toml:"transmit_delay"`
	MinLSInterval      any `toml:"min_ls_interval"`
	FlushTimeout       any `toml:"flush_timeout"`
	StubArea           any `toml:"stub_area"`
	AddressInterface   any `toml:"address_interface"`
	KeepAddresses      any `toml:"keep_addresses"`
	SPFNudge           any `toml:"spf_nudge"`
	TTLSecurity        any `toml:"ttl_security"`
	LoadStep           any `toml:"load_step"`

	Auth *rawAuth `toml:"auth"`
	BFD  *rawBFD  `toml:"bfd"`
}

type rawService struct {
	Name        any          `toml:"name"`
	Prefix      any          `toml:"prefix"`
	Metric      any          `toml:"metric"`
	DrainTime   any          `toml:"drain_time"`
	DrainFile   any          `toml:"drain_file"`
	DrainAction any          `toml:"drain_action"`
	Socket      *rawSocket   `toml:"socket"`
	Probe       *rawProbe    `toml:"probe"`
	External    *rawExternal `toml:"external"`
	CPU         *rawCPU      `toml:"cpu"`
	Load        *rawLoad     `toml:"load"`
	Tier        []rawTier    `toml:"tier"`
	Mode        any          `toml:"mode"`
	Capacity    any          `toml:"capacity"`
	FarmRules   any          `toml:"farm_rules"`
}

type rawLoad struct {
	RQueue   any `toml:"rqueue"`
	Drops    any `toml:"drops"`
	Latency  any `toml:"latency"`
	External any `toml:"external"`
	CPU      any `toml:"cpu"`
}

type rawSocket struct {
	Port     any `toml:"port"`
	Address  any `toml:"address"`
	Interval any `toml:"interval"`
}

type rawProbe struct {
	Kind     any `toml:"kind"`
	QName    any `toml:"qname"`
	QType    any `toml:"qtype"`
	Payload  any `toml:"payload"`
	Expect   any `toml:"expect"`
	Port     any `toml:"port"`
	Interval any `toml:"interval"`
	Timeout  any `toml:"timeout"`
	Rise     any `toml:"rise"`
	Fall     any `toml:"fall"`
	// HungAfter is hung_after.
	HungAfter any `toml:"hung_after"`
}

type rawExternal struct {
	File     any `toml:"file"`
	Command  any `toml:"command"`
	FullRate any `toml:"full_rate"`
	Interval any `toml:"interval"`
	Timeout  any `toml:"timeout"`
}

type rawCPU struct {
	Cgroup     any `toml:"cgroup"`
	CgroupRoot any `toml:"cgroup_root"`
	Cores      any `toml:"cores"`
	Interval   any `toml:"interval"`
}

type rawTier struct {
	Metric any `toml:"metric"`
	Up     any `toml:"up"`
	Down   any `toml:"down"`
	Prefix any `toml:"prefix"`
}

// knownKeys is every key path of the raw form, dotted, without array
// indices ("service.probe.kind"), derived from the struct tags above so
// there is one list only.
var knownKeys = func() map[string]bool {
	m := make(map[string]bool)
	var walk func(prefix string, t reflect.Type)
	walk = func(prefix string, t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			if prefix != "" {
				name = prefix + "." + name
			}
			m[name] = true
			ft := f.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				walk(name, ft)
			}
		}
	}
	walk("", reflect.TypeFor[rawConfig]())
	return m
}()
