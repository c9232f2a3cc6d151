package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBadConfigs loads each file of testdata/config and checks every
// problem it reports: file, line, key and message.
func TestBadConfigs(t *testing.T) {
	tests := []struct {
		file string
		want []string // each problem, after the file name
	}{
		{"address-interface-is-ospf.toml", []string{`:4: ospf.address_interface: "eth0" is the OSPF interface: service addresses on the shared link are answered by every server's neighbor discovery and routed around their metric; use lo (the default) or a dummy interface`}},
		{"area-not-dotted.toml", []string{`:5: ospf.area: "0.0.0.x" is not a dotted-quad area ID`}},
		{"auth-accept-before-send.toml", []string{`:9: ospf.auth.accept_until: 2026-07-01T00:00:00Z: the key would still be sent (send_until unbounded) after it is no longer accepted; accept_until must not be before send_until`}},
		{"auth-algorithm.toml", []string{`:8: ospf.auth.algorithm: "hmac-md5" is not an algorithm (hmac-sha-1, hmac-sha-256, hmac-sha-384 or hmac-sha-512)`}},
		{"auth-dialect.toml", []string{`:8: ospf.auth.dialect: "frr" is not a dialect (rfc7166, or frr8 for FRR before 9.1)`}},
		{"auth-key-file-missing.toml", []string{`:6: ospf.auth.key_file: missing: this key is required, e.g. key_file = "/etc/anycostd/ospf.key" (a file holding the key alone, mode 0600)`}},
		{"auth-key-file-relative.toml", []string{`:8: ospf.auth.key_file: "ospf.key" is not an absolute path`}},
		{"auth-key-id-duplicate.toml", []string{`:15: ospf.auth.key[1].key_id: 1 is already the key ID of ospf.auth (line 7)`}},
		{"auth-key-id-range.toml", []string{`:7: ospf.auth.key_id: 70000 is out of range 0..65535`}},
		{"auth-local-time.toml", []string{`:9: ospf.auth.send_from: a date-time without a UTC offset is ambiguous: write e.g. 2026-07-01T00:00:00Z (UTC), or another offset such as +02:00`}},
		{"auth-no-key.toml", []string{
			`:6: ospf.auth.key_id: missing: this key is required, e.g. key_id = 1 (the router's key-id)`,
			`:6: ospf.auth.key_file: missing: this key is required, e.g. key_file = "/etc/anycostd/ospf.key" (a file holding the key alone, mode 0600)`,
		}},
		{"auth-not-table.toml", []string{`:5: ospf.auth: wrong type: write it as a table, [ospf.auth]`}},
		{"auth-secret-inline.toml", []string{`:7: ospf.auth.key: wrong type: write each key as an [[ospf.auth.key]] table (the secret itself goes in the file key_file names, never in the configuration)`}},
		{"auth-time-string.toml", []string{`:9: ospf.auth.send_until: "next tuesday" is not an RFC 3339 date-time with an offset (e.g. 2026-05-01T12:00:00Z)`}},
		{"auth-unknown-key.toml", []string{`:13: ospf.auth.key[0].secret: unknown key`}},
		{"auth-window-order.toml", []string{`:10: ospf.auth.send_until: 2026-01-01T00:00:00Z is not after send_from 2026-07-01T00:00:00Z`}},
		{"dead-below-hello.toml", []string{`:5: ospf.dead_interval: 10s must be longer than hello_interval 10s`}},
		{"min-ls-above-rxmt.toml", []string{`:5: ospf.min_ls_interval: 5s must be shorter than retransmit_interval 5s`}},
		{"drain-action.toml", []string{`:9: service[0].drain_action: "pause" is not a drain action (withdraw or max-tier)`}},
		{"drain-max-tier.toml", []string{`:9: service[0].drain_action: max-tier needs [[service.tier]] tables`}},
		{"duplicate-key.toml", []string{`:4: syntax error: Key 'ospf.interface' has already been defined. (after key ospf.interface)`}},
		{"duration-bad.toml", []string{`:4: ospf.retransmit_interval: "5 seconds" is not a duration (write e.g. "1.5s" or "100ms")`}},
		{"duration-integer.toml", []string{`:4: ospf.hello_interval: 10 has no unit: write durations as strings, e.g. "10s"`}},
		{"cpu-bad.toml", []string{
			`:11: service[0].cpu.cgroup: "system.slice/../nsd.service" climbs out with "..": write the cgroup's path from the root`,
			`:12: service[0].cpu.cores: integer 0 is outside (0, 4096]: the CPUs the service may use`,
			`:13: service[0].cpu.interval: 100ms is out of range 500ms..10m`,
			`:19: service[1].cpu.cgroup: missing: this key is required, e.g. cgroup = "system.slice/nsd.service"`,
			`:20: service[1].cpu.cores: want a number, got string "two"`,
			`:21: service[1].cpu.cgroup_root: "sys/fs/cgroup" is not an absolute path`,
		}},
		{"external-both.toml", []string{`:12: service[0].external.command: give either file or command, not both`}},
		{"external-full-rate.toml", []string{
			`:12: service[0].external.full_rate: integer 0 is outside (0, 1e+09]: the counter's growth per second that is load 1.0`,
			`:20: service[1].external.full_rate: want a number, got string "3500"`,
		}},
		{"external-none.toml", []string{`:10: service[0].external.file: missing: this key is required, e.g. file = "/run/dns/load" (or command = [...])`}},
		{"hello-fraction.toml", []string{`:4: ospf.hello_interval: 1.5s is not a whole number of seconds (it is sent in seconds)`}},
		{"instance-id-range.toml", []string{`:4: ospf.instance_id: 256 is out of range 0..255`}},
		{"interface-missing.toml", []string{`:2: ospf.interface: missing: this key is required, e.g. interface = "eth0" in [ospf]`}},
		{"interval-zero.toml", []string{`:12: service[0].socket.interval: must be above 0 (10ms..1m)`}},
		{"key-case.toml", []string{`:1: Router_ID: unknown key (keys are case-sensitive: did you mean router_id?)`}},
		{"load-weights.toml", []string{
			`:11: service[0].load.rqueue: integer -1 is outside [0, 10]: the term's weight in the load figure`,
			`:12: service[0].load.latency: integer 11 is outside [0, 10]: the term's weight in the load figure`,
			`:13: service[0].load.cpu: want a number, got string "none"`,
		}},
		{"log-level.toml", []string{`:2: log_level: "verbose" is not a log level (debug, info, warn or error)`}},
		{"metrics-listen.toml", []string{`:2: metrics_listen: "9153" is not host:port (e.g. "127.0.0.1:9153" or "[::]:9153")`}},
		{"multiple.toml", []string{`:1: router_id: "192.0.2.300" is not a dotted-quad router ID`, `:2: log_format: "xml" is not a log format (text or json)`, `:5: ospf.interface_cost: 0 is out of range 1..65535`}},
		{"ospf-not-table.toml", []string{`:2: ospf: wrong type: write it as a table, [ospf]`}},
		{"prefix-ipv4.toml", []string{`:8: service[0].prefix: "192.0.2.53/32" is not IPv6: a service prefix is an IPv6 /128`}},
		{"prefix-missing.toml", []string{`:6: service[0].prefix: missing: this key is required, e.g. prefix = "2001:db8:53::53/128"`}},
		{"prefix-no-length.toml", []string{`:8: service[0].prefix: "2001:db8:53::53" has no prefix length: write "2001:db8:53::53/128"`}},
		{"prefix-not-128.toml", []string{`:8: service[0].prefix: "2001:db8:53::/64" is a /64: a service prefix is an IPv6 /128`}},
		{"probe-kind.toml", []string{`:11: service[0].probe.kind: "tcp" is not a probe kind (dns or udp)`}},
		{"probe-payload-missing.toml", []string{`:10: service[0].probe.payload: missing: this key is required, e.g. payload = "hex:0001"`}},
		{"probe-qname-udp.toml", []string{`:13: service[0].probe.qname: is only for kind dns probes`}},
		{"probe-hung-after.toml", []string{`:14: service[0].probe.hung_after: 11m is above the maximum 10m`}},
		{"probe-timeout.toml", []string{`:14: service[0].probe.timeout: 1s is longer than the probe interval 100ms`}},
		{"router-id-missing.toml", []string{`: router_id: missing: this key is required, e.g. router_id = "192.0.2.11"`}},
		{"router-id-zero.toml", []string{`:1: router_id: 0.0.0.0 is not a valid router ID`}},
		{"second-service-metric.toml", []string{`:13: service[1].metric: 0 is out of range 1..65535`}},
		{"service-name-bad.toml", []string{`:7: service[0].name: "DNS!" is not a service name (1 to 64 of a-z 0-9 _ -)`}},
		{"service-name-duplicate.toml", []string{`:11: service[1].name: "dns" is already the name of service[0] (line 7)`}},
		{"service-not-array.toml", []string{`:6: service: wrong type: write each service as a [[service]] table`}},
		{"service-prefix-duplicate.toml", []string{`:12: service[1].prefix: 2001:db8:53::53/128 is already the prefix of service[0] (line 8)`}},
		{"socket-port-range.toml", []string{`:11: service[0].socket.port: 70000 is out of range 1..65535`}},
		{"syntax.toml", []string{`:3: syntax error: expected value but found "eth" instead (after key ospf.interface)`}},
		{"tier-down-above-up.toml", []string{`:13: service[0].tier[0].down: 0.6 must be below up 0.4 (the hysteresis band)`}},
		{"tier-prefix-outside.toml", []string{`:17: service[0].tier[1].prefix: 2001:db8:54::/126 does not hold the service address 2001:db8:53::53`}},
		{"tier-prefix-nd.toml", []string{`:18: service[0].tier[1].prefix: is only for services in OSPF mode (ND announces the address itself)`}},
		{"tier-prefix-order.toml", []string{`:18: service[0].tier[1].prefix: 2001:db8:53::52/127 is longer than the previous tier's 2001:db8:53::50/126: a dearer tier must not win the longest match`}},
		{"tier-metric-order.toml", []string{`:16: service[0].tier[1].metric: 10 is not above the previous tier's metric 20: tiers go from cheapest to dearest`}},
		{"tier-metric-range.toml", []string{`:16: service[0].tier[1].metric: 70000 is out of range 1..65535`}},
		{"tier-last-up.toml", []string{`:17: service[0].tier[1].up: the last tier has no next tier: leave up and down out (overload raises the metric, it never withdraws the service)`}},
		{"tier-thresholds.toml", []string{`:17: service[0].tier[1].up: 0.5 is not above the previous tier's up 0.6: thresholds must increase`}},
		{"unknown-key.toml", []string{`:5: ospf.helo_interval: unknown key`}},
		{"unknown-service-key.toml", []string{`:13: service[0].probe.retries: unknown key`}},
		{"unknown-table.toml", []string{`:6: bgp: unknown key`}},
		// Issue 16 D1: a bad value is not replaced by the default before
		// another key is compared with it.
		{"hello-bad-dead.toml", []string{`:5: ospf.hello_interval: 1.5s is not a whole number of seconds (it is sent in seconds)`}},
		{"rxmt-bad-min-ls.toml", []string{`:5: ospf.retransmit_interval: "5 seconds" is not a duration (write e.g. "1.5s" or "100ms")`}},
		{"probe-bad-interval.toml", []string{`:13: service[0].probe.interval: "often" is not a duration (write e.g. "1.5s" or "100ms")`}},
		// D2: bounds.
		{"interval-1ns.toml", []string{
			`:12: service[0].socket.interval: 1ns is out of range 10ms..1m`,
			`:17: service[0].probe.interval: 1ns is out of range 50ms..1m`,
			`:18: service[0].probe.timeout: 1ns is out of range 10ms..10m`,
			`:22: service[0].external.interval: 1ns is out of range 100ms..10m`,
		}},
		{"interval-upper.toml", []string{
			`:12: service[0].socket.interval: 2m is out of range 10ms..1m`,
			`:17: service[0].probe.interval: 1h is out of range 50ms..1m`,
			`:21: service[0].external.interval: 1h is out of range 100ms..10m`,
		}},
		{"ospf-timer-ranges.toml", []string{
			`:5: ospf.retransmit_interval: 1ns is out of range 100ms..1h`,
			`:6: ospf.transmit_delay: 2h is out of range 1s..1h`,
			`:7: ospf.min_ls_interval: 1ns is out of range 10ms..1h`,
			`:8: ospf.flush_timeout: 1h is out of range 100ms..1m`,
			`:9: ospf.dead_interval: 18h12m16s is out of range 2s..18h12m15s`,
		}},
		{"drain-time-range.toml", []string{`:9: service[0].drain_time: 1h is above the maximum 10m`}},
		{"capacity-range.toml", []string{
			`:9: service[0].capacity: integer 0 is outside (0, 1e+06]: a capacity is a positive number in the farm's unit`,
			`:14: service[1].capacity: want a number, got string "fast"`,
		}},
		// D3: every path is absolute.
		{"paths-relative.toml", []string{
			`:2: control_socket: "anycostd.sock" is not an absolute path`,
			`:3: state_dir: "state" is not an absolute path`,
			`:11: service[0].drain_file: "drain-dns" is not an absolute path`,
			`:14: service[0].external.file: "run/load" is not an absolute path`,
			`:21: service[1].external.command: program "./ntp-load" is a relative path: write it absolute, or a bare name looked up in PATH`,
		}},
		{"no-service.toml", []string{`: service: no [[service]] table: anycostd would advertise nothing (see testdata/reference.toml)`}},
		{"stop-time.toml", []string{`:10: service[0].drain_time: a stop may take up to 37.2s (the longest drain_time 15s + 2 x pacing 1.1s + 5s, then flush_timeout 10s + 5s), above stop_timeout 30s (the unit's TimeoutStopSec, contrib/anycostd.service): systemd would kill anycostd before it flushes; shorten drain_time or flush_timeout, or raise TimeoutStopSec to at least 38s (a drop-in) and stop_timeout with it`}},
		{"tier-up-unreachable.toml", []string{`:12: service[0].tier[0].up: 3 can never be reached: the load figure tops out at 2`}},
		{"tier-down-zero.toml", []string{`:13: service[0].tier[0].down: 0 can never be reached from above (the load figure is never below 0): the service would stay in the next tier`}},
		{"wrong-type.toml", []string{`:4: ospf.interface_cost: want an integer, got string "10"`}},
	}
	seen := make(map[string]bool)
	for _, tc := range tests {
		seen[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("..", "testdata", "config", tc.file)
			c, err := Load(path)
			if err == nil {
				t.Fatalf("Load(%s) = %v, want an error", path, c)
			}
			es := AsErrors(err)
			if es == nil {
				t.Fatalf("Load(%s) error %v (%T) is not a configuration error", path, err, err)
			}
			var got []string
			for _, e := range es {
				if e.File != path {
					t.Errorf("error %q names file %q, want %q", e, e.File, path)
				}
				got = append(got, e.Error()[len(path):])
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			var one *Error
			if !errors.As(err, &one) {
				t.Errorf("errors.As(*Error) fails on %v", err)
			}
		})
	}
	files, err := os.ReadDir(filepath.Join("..", "testdata", "config"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !seen[f.Name()] {
			t.Errorf("testdata/config/%s has no entry in this table", f.Name())
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.toml"))
	if err == nil || AsErrors(err) != nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want a not-exist error that is not a config problem", err)
	}
}
