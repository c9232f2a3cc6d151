// Package metrics exports anycostd's state in the Prometheus text format:
// what each service has on the wire and why (the cost model's inputs, load
// and tier), the OSPF neighbors' states, the packet and LSA counters, and
// the ND mode's turns and counters.
//
// Nothing is cached: every scrape asks the daemon (its modes and its
// service manager) for a fresh snapshot, so a scrape shows the same
// figures as `anycostd status` and `anycostd cost` at that moment.
package metrics

import (
	"context"
	"log/slog"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/services"
)

// OSPFSource gives the OSPF instance's status (*ospf.Instance has it).
type OSPFSource interface {
	Status(ctx context.Context) (ospf.Status, error)
}

// WireSource gives what every service has on the wire, whatever its mode
// (a services.Advertiser has it).
type WireSource interface {
	Wire(ctx context.Context) ([]services.Wire, error)
}

// ExplainSource gives the cost model's explanation of every service
// (service "") (*services.Manager has it).
type ExplainSource interface {
	Explain(ctx context.Context, service string) ([]costmodel.Explanation, error)
}

// Sources are what a Collector asks at every scrape. A nil source's
// metrics are left out: OSPF without an OSPF instance, ND without the ND
// speaker.
type Sources struct {
	OSPF OSPFSource
	ND   NDSource
	// BFD is the BFD speaker of [ospf.bfd], nil without.
	BFD     BFDSource
	Wire    WireSource
	Explain ExplainSource
	// Router is the router agent (`anycostd router`), nil on a server.
	Router RouterSource
}

// ScrapeTimeout bounds the questions one scrape asks the daemon.
const ScrapeTimeout = 5 * time.Second

// Collector is a prometheus.Collector that asks its sources at scrape time.
type Collector struct {
	src Sources
	log *slog.Logger
}

// NewCollector returns a collector of src. log (may be nil) gets a debug
// line when a source fails; the failure also shows as anycostd_source_up
// 0.
func NewCollector(src Sources, log *slog.Logger) *Collector {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Collector{src: src, log: log}
}

// Neighbor and interface states, in the order of RFC 2328 10.1 and 9.1
// (the spellings ospf.Status uses).
var (
	neighborStates  = []string{"Down", "Init", "2-Way", "ExStart", "Exchange", "Loading", "Full"}
	interfaceStates = []string{"Down", "Waiting", "DROther", "Backup", "DR"}
)

// desc is one exported metric: its name, help and labels, and its kind
// (docs/metrics.md is written from them).
type desc struct {
	d      *prometheus.Desc
	kind   prometheus.ValueType
	name   string
	help   string
	labels []string
}

func gauge(name, help string, labels ...string) desc {
	return desc{prometheus.NewDesc(name, help, labels, nil), prometheus.GaugeValue, name, help, labels}
}

func counter(name, help string, labels ...string) desc {
	return desc{prometheus.NewDesc(name, help, labels, nil), prometheus.CounterValue, name, help, labels}
}

// The exported metrics. docs/metrics.md lists them, generated from these
// descriptions (go test ./metrics -update-docs).
var (
	sourceUp = gauge("anycostd_source_up",
		"1 when the source (ospf: the OSPF instance; bfd: its BFD sessions; nd: the ND speaker; wire: the modes' report of what is on the wire; services: the cost models; router: the router agent) answered this scrape, 0 when it failed.", "source")

	ifState = gauge("anycostd_ospf_interface_state",
		"1 for the OSPF interface's current state (RFC 2328 9.1), 0 for the others.", "interface", "state")
	nbrState = gauge("anycostd_ospf_neighbor_state",
		"1 for the neighbor's current state (RFC 2328 10.1), 0 for the others; neighbor is its router ID.", "neighbor", "address", "state")
	pktIn = counter("anycostd_ospf_packets_received_total",
		"OSPFv3 packets received and accepted, by packet type.", "type")
	pktOut = counter("anycostd_ospf_packets_sent_total",
		"OSPFv3 packets sent, by packet type.", "type")
	pktDropped = counter("anycostd_ospf_packets_dropped_total",
		"OSPFv3 packets and LSAs dropped, by reason.", "reason")
	lsasIn = counter("anycostd_ospf_lsas_received_total",
		"LSAs received in Link State Update packets.")
	lsasOut = counter("anycostd_ospf_lsas_sent_total",
		"LSAs sent in Link State Update packets, retransmissions included.")
	lsaRxmt = counter("anycostd_ospf_lsa_retransmissions_total",
		"LSAs sent again because their acknowledgement did not come in time.")
	drUnlisted = counter("anycostd_ospf_dr_unlisted_restarts_total",
		"Adjacencies with the DR restarted because, long after Full, its Network-LSA still did not list this router (a router stuck in Exchange; see RELIABILITY.md).")
	lsaOrig = counter("anycostd_ospf_lsa_originations_total",
		"New instances of self-originated LSAs.")
	earlyWithdrawals = counter("anycostd_ospf_early_withdrawals_total",
		"Withdrawals sent before min_ls_interval allowed (outcome sent), acknowledged at once (taken), sent again when the router's MinLSArrival had passed (resent); docs/failover-timing.md.", "outcome")
	routerMinArrival = gauge("anycostd_ospf_router_min_ls_arrival_seconds",
		"The routers' MinLSArrival that withdrawals wait out: learned from what the routers took (learned=\"true\") or assumed.", "learned")

	svcInfo = gauge("anycostd_service_info",
		"Always 1; labels the service with its anycast prefix.", "service", "prefix")
	svcWithdrawn = gauge("anycostd_service_withdrawn",
		"1 while the service is not on the wire (OSPF: no Intra-Area-Prefix-LSA carries its prefix; ND: it neither answers nor takes turns), 0 while it is advertised.", "service")
	svcMetric = gauge("anycostd_service_advertised_metric",
		"Metric the service has on the wire (OSPF: in its LSA; ND: the metric its weight comes from); absent while withdrawn.", "service")
	svcWanted = gauge("anycostd_service_wanted_metric",
		"Metric the cost model wants now, before pacing; absent while it wants the prefix withdrawn.", "service")
	svcWantWithdraw = gauge("anycostd_service_withdraw_wanted",
		"1 when the cost model wants the prefix withdrawn, 0 otherwise.", "service")
	svcHeld = gauge("anycostd_service_change_held",
		"1 while a wanted change waits for pacing, 0 otherwise.", "service")
	svcNextChange = gauge("anycostd_service_next_change_allowed_timestamp_seconds",
		"Unix time from which pacing lets the service's next change out; absent before the first change.", "service")
	svcTier = gauge("anycostd_service_tier",
		"Index of the current cost tier, 0 the cheapest; -1 for a service without tiers.", "service")
	svcLoad = gauge("anycostd_service_load",
		"Load figure (0 idle, 1 saturated, at most 2): the largest used load term.", "service")
	svcTerm = gauge("anycostd_service_load_term",
		"Weighted, smoothed value of each load term that counts in the load figure.", "service", "term")
	svcHealthy = gauge("anycostd_service_healthy",
		"1 while the probe's rise/fall verdict is up (always 1 without a probe), 0 while down.", "service")
	svcDrained = gauge("anycostd_service_drained",
		"1 while the service is drained (manually or by its drain file), 0 otherwise.", "service")
	svcChanges = counter("anycostd_service_changes_total",
		"Advertisement changes the cost model handed to the service's mode (restarts with the model on a reload that changes the service).", "service")

	inAge = gauge("anycostd_service_input_age_seconds",
		"Age of the latest sample of each input; absent before the first.", "service", "input")
	inStale = gauge("anycostd_service_input_stale",
		"1 when the input's latest sample is too old to count, 0 otherwise; absent before the first sample.", "service", "input")
	inSamples = counter("anycostd_service_input_samples_total",
		"Samples of each input the cost model received.", "service", "input")
	inPresent = gauge("anycostd_service_socket_present",
		"Socket monitor, latest sample: 1 when a socket of the service is bound, 0 when none is.", "service")
	inRQueue = gauge("anycostd_service_socket_rqueue_ratio",
		"Socket monitor, latest sample: receive-queue fill, bytes queued / receive buffer (0..1).", "service")
	inDrops = gauge("anycostd_service_socket_drops",
		"Socket monitor, latest sample: datagrams the socket dropped since the previous sample.", "service")
	inProbeOK = gauge("anycostd_service_probe_ok",
		"Probe, latest check: 1 when it got a valid answer in time, 0 when it failed.", "service")
	inProbeLatency = gauge("anycostd_service_probe_latency_seconds",
		"Probe, latest good check: time to the answer.", "service")
	inExternal = gauge("anycostd_service_external_load",
		"External load, latest reading (with full_rate: the counter's rate over it, 0..2; absent while reading it fails, and before a counter's second reading).", "service")
	inExternalErr = gauge("anycostd_service_external_error",
		"External load, latest reading: 1 when it could not be read, 0 otherwise.", "service")
	inCPU = gauge("anycostd_service_cpu_utilisation",
		"CPU input, latest reading: the cgroup's CPU time per second over the CPU it may use (absent while reading it fails).", "service")
	inCPUErr = gauge("anycostd_service_cpu_error",
		"CPU input, latest reading: 1 when the cgroup could not be read, 0 otherwise.", "service")
	inDrain = gauge("anycostd_service_drain_input",
		"Drain inputs, latest sample: 1 when drained by that input (manual_drain or drain_file), 0 otherwise.", "service", "input")
)

var allDescs = []desc{
	sourceUp,
	ifState, nbrState, pktIn, pktOut, pktDropped, lsasIn, lsasOut, lsaRxmt, lsaOrig, drUnlisted,
	earlyWithdrawals, routerMinArrival,
	svcInfo, svcWithdrawn, svcMetric, svcWanted, svcWantWithdraw, svcHeld, svcNextChange,
	svcTier, svcLoad, svcTerm, svcHealthy, svcDrained, svcChanges,
	inAge, inStale, inSamples, inPresent, inRQueue, inDrops, inProbeOK, inProbeLatency,
	inExternal, inExternalErr, inCPU, inCPUErr, inDrain,
}

// Describe sends every metric's description.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d.d
	}
	for _, d := range ndDescs {
		ch <- d.d
	}
	for _, d := range bfdDescs {
		ch <- d.d
	}
	for _, d := range routerDescs {
		ch <- d.d
	}
}

// Collect asks the sources and sends their figures.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), ScrapeTimeout)
	defer cancel()
	emit := func(d desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d.d, d.kind, v, labels...)
	}
	if c.src.OSPF != nil {
		st, err := c.src.OSPF.Status(ctx)
		if err != nil {
			c.log.Debug("metrics: OSPF status", "err", err)
		} else {
			collectOSPF(emit, &st)
		}
		emit(sourceUp, b2f(err == nil), "ospf")
	}
	if c.src.BFD != nil {
		st, err := c.src.BFD.Status(ctx)
		if err != nil {
			c.log.Debug("metrics: BFD status", "err", err)
		} else {
			collectBFD(emit, &st)
		}
		emit(sourceUp, b2f(err == nil), "bfd")
	}
	if c.src.Wire != nil {
		wire, err := c.src.Wire.Wire(ctx)
		if err != nil {
			c.log.Debug("metrics: services on the wire", "err", err)
		} else {
			collectWire(emit, wire)
		}
		emit(sourceUp, b2f(err == nil), "wire")
	}
	if c.src.Explain != nil {
		list, err := c.src.Explain.Explain(ctx, "")
		if err != nil {
			c.log.Debug("metrics: cost model explanations", "err", err)
		} else {
			for i := range list {
				collectExplanation(emit, &list[i])
			}
		}
		emit(sourceUp, b2f(err == nil), "services")
	}
	if c.src.ND != nil {
		st, err := c.src.ND.Status(ctx)
		if err != nil {
			c.log.Debug("metrics: ND status", "err", err)
		} else {
			collectND(emit, &st)
		}
		emit(sourceUp, b2f(err == nil), "nd")
	}
	if c.src.Router != nil {
		st, err := c.src.Router.AgentStatus(ctx)
		if err != nil {
			c.log.Debug("metrics: router agent status", "err", err)
		} else {
			collectRouter(emit, &st)
		}
		emit(sourceUp, b2f(err == nil), "router")
	}
}

type emitFunc func(d desc, v float64, labels ...string)

func collectWire(emit emitFunc, wire []services.Wire) {
	for _, s := range wire {
		emit(svcInfo, 1, s.Name, s.Prefix.String())
		emit(svcWithdrawn, b2f(!s.Advertised), s.Name)
		if s.Advertised {
			emit(svcMetric, float64(s.Metric), s.Name)
		}
	}
}

func collectOSPF(emit emitFunc, st *ospf.Status) {
	in := &st.Interface
	emitStateSet(emit, ifState, interfaceStates, in.State, in.Name)
	for _, n := range st.Neighbors {
		emitStateSet(emit, nbrState, neighborStates, n.State, n.RouterID, n.Address)
	}
	cn := &st.Counters
	emitByLabel(emit, pktIn, cn.PacketsIn)
	emitByLabel(emit, pktOut, cn.PacketsOut)
	emitByLabel(emit, pktDropped, cn.Dropped)
	emit(lsasIn, float64(cn.LSAsIn))
	emit(lsasOut, float64(cn.LSAsOut))
	emit(lsaRxmt, float64(cn.Retransmits))
	emit(lsaOrig, float64(cn.Originations))
	emit(drUnlisted, float64(cn.DRUnlistedRestarts))
	emit(earlyWithdrawals, float64(cn.EarlyTries), "sent")
	emit(earlyWithdrawals, float64(cn.EarlyTaken), "taken")
	emit(earlyWithdrawals, float64(cn.EarlyResends), "resent")
	if p := st.Pacing; p.MinLSInterval > 0 {
		emit(routerMinArrival, p.RouterMinLSArrival.Seconds(), strconv.FormatBool(p.Learned))
	}
}

// emitStateSet sends one series per known state, 1 for current and 0 for
// the others (and current with 1 if it is not a known state). labels come
// before the state label.
func emitStateSet(emit emitFunc, d desc, states []string, current string, labels ...string) {
	known := false
	for _, s := range states {
		known = known || s == current
		emit(d, b2f(s == current), append(labels, s)...)
	}
	if !known && current != "" {
		emit(d, 1, append(labels, current)...)
	}
}

// emitByLabel sends one series per map key, in key order.
func emitByLabel(emit emitFunc, d desc, m map[string]uint64) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		emit(d, float64(m[k]), k)
	}
}

func collectExplanation(emit emitFunc, e *costmodel.Explanation) {
	name := e.Service
	if !e.Wanted.Withdrawn {
		emit(svcWanted, float64(e.Wanted.Metric), name)
	}
	emit(svcWantWithdraw, b2f(e.Wanted.Withdrawn), name)
	emit(svcHeld, b2f(e.Held), name)
	if !e.NextChangeAllowed.IsZero() {
		emit(svcNextChange, float64(e.NextChangeAllowed.UnixMilli())/1e3, name)
	}
	emit(svcTier, float64(e.Tier), name)
	emit(svcLoad, e.Load, name)
	for _, t := range e.Terms {
		if t.Used {
			emit(svcTerm, t.Value, name, t.Name)
		}
	}
	emit(svcHealthy, b2f(e.Health.Up), name)
	emit(svcDrained, b2f(e.Drained), name)
	emit(svcChanges, float64(e.Changes), name)

	for _, v := range e.Inputs {
		input := v.Input.String()
		emit(inSamples, float64(v.Samples), name, input)
		if !v.Seen {
			continue
		}
		emit(inAge, float64(v.AgeMS)/1e3, name, input)
		emit(inStale, b2f(v.Stale), name, input)
		switch v.Input {
		case costmodel.InputSocket:
			if v.Present != nil {
				emit(inPresent, b2f(*v.Present), name)
			}
			if v.RQueue != nil {
				emit(inRQueue, *v.RQueue, name)
			}
			if v.Drops != nil {
				emit(inDrops, float64(*v.Drops), name)
			}
		case costmodel.InputProbe:
			if v.OK != nil {
				emit(inProbeOK, b2f(*v.OK), name)
			}
			if v.LatencyMS != nil {
				emit(inProbeLatency, *v.LatencyMS/1e3, name)
			}
		case costmodel.InputExternal:
			emit(inExternalErr, b2f(v.Error != ""), name)
			if v.Load != nil {
				emit(inExternal, *v.Load, name)
			}
		case costmodel.InputCPU:
			emit(inCPUErr, b2f(v.Error != ""), name)
			if v.Load != nil {
				emit(inCPU, *v.Load, name)
			}
		case costmodel.InputManualDrain, costmodel.InputDrainFile:
			if v.Drained != nil {
				emit(inDrain, b2f(*v.Drained), name, input)
			}
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
