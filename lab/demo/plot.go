package main

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// The plot's colors: one hue per server (the terminal uses the same
// ones), and one per advertised state, cheap to dear.
var (
	serverColors = []color.Color{
		rgb(0x1f, 0x6f, 0xc5), // s1 blue
		rgb(0xe0, 0x8e, 0x0b), // s2 amber
		rgb(0x2f, 0x9e, 0x44), // s3 green
		rgb(0x9c, 0x36, 0xb5),
		rgb(0x0c, 0x98, 0xa8),
		rgb(0x8d, 0x5a, 0x2b), // the two-site demo's sixth server
	}
	totalColor    = rgb(0x99, 0x99, 0x99)
	bandColor     = rgb(0xf3, 0xf4, 0xf6)
	eventColor    = rgb(0x55, 0x5b, 0x66)
	goodColor     = rgb(0x2f, 0x9e, 0x44)
	badColor      = rgb(0xc9, 0x2a, 0x2a)
	stateColors   = map[string]color.Color{"10": rgb(0x8c, 0xe9, 0x9a), "20": rgb(0xff, 0xd4, 0x3b), "40": rgb(0xff, 0x87, 0x87)}
	withdrawnFill = rgb(0xce, 0xd4, 0xda)
	drainedFill   = rgb(0xa5, 0xd8, 0xff)
)

func rgb(r, g, b uint8) color.Color { return color.RGBA{R: r, G: g, B: b, A: 0xff} }

func serverColor(i int) color.Color { return serverColors[i%len(serverColors)] }

// sans is the plot's typeface (gonum's default is Liberation Serif).
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

func fontOf(size float64) font.Font { return font.From(sans, vg.Points(size)) }

func boldOf(size float64) font.Font {
	f := fontOf(size)
	f.Weight = xfont.WeightBold
	return f
}

func textStyle(size float64, c color.Color) text.Style {
	return text.Style{Color: c, Font: fontOf(size), Handler: plot.DefaultTextHandler}
}

// seconds is d in seconds, the plot's x unit.
func seconds(d time.Duration) float64 { return d.Seconds() }

// writePlots draws the demo's record into each of paths (".png" or
// ".svg"); note, if not empty, ends the title.
func writePlots(names []string, samples []sample, events []event, qps int, note string, paths ...string) error {
	return drawTo(paths, func(dc draw.Canvas) { drawDemo(dc, names, samples, events, qps, note) })
}

// drawTo draws with paint into each of paths (".png" or ".svg"; ""
// skipped), 13 x 8 inches.
func drawTo(paths []string, paint func(draw.Canvas)) error {
	const w, h = 13 * vg.Inch, 8 * vg.Inch
	for _, path := range paths {
		if path == "" {
			continue
		}
		var c interface {
			vg.CanvasSizer
			io.WriterTo
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".png":
			c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(110))}
		case ".svg":
			c = vgsvg.New(w, h)
		default:
			return fmt.Errorf("plot %s: only .png and .svg are supported", path)
		}
		paint(draw.New(c))
		if err := writeTo(path, c); err != nil {
			return err
		}
	}
	return nil
}

func writeTo(path string, c io.WriterTo) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

// drawDemo draws two panels with a shared time axis: queries per second
// per server with the script's steps marked, and below it what each
// server advertised; legends in the right margin.
func drawDemo(dc draw.Canvas, names []string, samples []sample, events []event, qps int, note string) {
	end := endOf(samples)
	top := qpsPanel(names, samples, events, qps, end)
	if note != "" {
		top.Title.Text += " " + note
	}
	drawPanels(dc, top, statePanel(names, samples, events, end), qpsLegend(names), stateLegend(), 1.7*vg.Inch)
}

// endOf is the time of the last sample, in seconds (0 without any).
func endOf(samples []sample) float64 {
	if n := len(samples); n > 0 {
		return seconds(samples[n-1].At)
	}
	return 0
}

// drawPanels fills dc white and draws top over bot, their data areas
// lined up on a shared time axis, each legend in the right margin (margin
// wide) level with the top of its panel's data area.
func drawPanels(dc draw.Canvas, top, bot *plot.Plot, topLegend, botLegend plot.Legend, margin vg.Length) {
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	height := dc.Max.Y - dc.Min.Y
	split := height * 0.36
	pad := vg.Points(10)
	topC := draw.Crop(dc, pad, -margin, split, -pad)
	botC := draw.Crop(dc, pad, -margin, pad, -(height - split))
	// Line up the two data areas: the wider y axis sets the left edge.
	dt, db := top.DataCanvas(topC), bot.DataCanvas(botC)
	if d := dt.Min.X - db.Min.X; d > 0 {
		botC = draw.Crop(botC, d, 0, 0, 0)
	} else {
		topC = draw.Crop(topC, -d, 0, 0, 0)
	}
	top.Draw(topC)
	bot.Draw(botC)

	// Legends in the right margin, level with the top of each data area.
	dt, db = top.DataCanvas(topC), bot.DataCanvas(botC)
	legendAt := func(l plot.Legend, data draw.Canvas) {
		c := data
		c.Min.X, c.Max.X = data.Max.X+vg.Points(14), dc.Max.X-pad
		l.Draw(c)
	}
	legendAt(topLegend, dt)
	legendAt(botLegend, db)
}

// newLegend is a left-aligned legend at the top of its canvas.
func newLegend() plot.Legend {
	l := plot.NewLegend()
	l.Top, l.Left = true, true
	l.TextStyle.Font = fontOf(11)
	l.ThumbnailWidth = vg.Points(22)
	l.Padding = vg.Points(5)
	return l
}

func qpsLegend(names []string) plot.Legend {
	l := newLegend()
	for i, n := range names {
		l.Add(n, lineStyle(serverColor(i), 3, false))
	}
	l.Add("all servers", lineStyle(totalColor, 1.5, true))
	return l
}

func stateLegend() plot.Legend {
	l := newLegend()
	for _, m := range []string{"10", "20", "40"} {
		l.Add("metric "+m, swatchOf(stateColors[m]))
	}
	l.Add("withdrawn", swatchOf(withdrawnFill))
	l.Add("drained", swatchOf(drainedFill))
	return l
}

// lineThumb is a legend thumbnail: a line.
type lineThumb draw.LineStyle

func (s lineThumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(draw.LineStyle(s), c.Min.X, y, c.Max.X, y)
}

func lineStyle(c color.Color, width float64, dashed bool) lineThumb {
	s := draw.LineStyle{Color: c, Width: vg.Points(width)}
	if dashed {
		s.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	return lineThumb(s)
}

// swatch is a legend thumbnail: a filled box.
type swatch color.RGBA

func (s swatch) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	r.Min.Y += vg.Points(1)
	r.Max.Y -= vg.Points(1)
	c.FillPolygon(color.RGBA(s), []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
}

func swatchOf(c color.Color) swatch { return swatch(color.RGBAModel.Convert(c).(color.RGBA)) }

// styleAxes sets the fonts and the shared time axis.
func styleAxes(p *plot.Plot, end float64) {
	p.X.Min, p.X.Max = 0, math.Max(end, 1)
	p.X.Tick.Marker = secondTicks{}
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = fontOf(11)
		a.Tick.Label.Font = fontOf(10)
		a.Color = eventColor
		a.Tick.Color = eventColor
	}
	p.Title.TextStyle.Font = boldOf(13)
	p.Title.Padding = vg.Points(8)
}

// secondTicks marks every 10 s with m:ss labels, every other one on runs
// longer than a minute.
type secondTicks struct{}

func (secondTicks) Ticks(min, max float64) []plot.Tick {
	var ts []plot.Tick
	every := 20
	if max-min <= 60 {
		every = 10
	}
	for s := math.Ceil(min/10) * 10; s <= max; s += 10 {
		t := plot.Tick{Value: s}
		if int(s)%every == 0 {
			t.Label = clock(time.Duration(s) * time.Second)
		}
		ts = append(ts, t)
	}
	return ts
}

// wholeTicks are gonum's default ticks labelled as whole numbers.
type wholeTicks struct{}

func (wholeTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = fmt.Sprintf("%.0f", ts[i].Value)
		}
	}
	return ts
}

// qpsPanel is the top panel: queries per second per server (and their
// sum) over time, the steps as shaded bands with a line and a label where
// each starts.
func qpsPanel(names []string, samples []sample, events []event, qps int, end float64) *plot.Plot {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("anycostd demo: queries per second each server receives (dnsperf offers %d/s to the anycast address)", qps)
	p.Y.Label.Text = "queries per second"
	styleAxes(p, end)
	p.X.Tick.Label.Color = color.Transparent // the lower panel labels time
	peak := float64(qps)
	total := make(plotter.XYs, 0, len(samples))
	for _, s := range samples {
		sum, ok := 0.0, true
		for _, st := range s.Servers {
			ok = ok && st.QPSOK
			sum += st.QPS
			peak = math.Max(peak, st.QPS)
		}
		if ok {
			total = append(total, plotter.XY{X: seconds(s.At), Y: sum})
		}
	}
	for _, xy := range total {
		peak = math.Max(peak, xy.Y)
	}
	// A burst far above the offered load would squash the rest: it is
	// cut at the top.
	peak = math.Min(peak, 1.2*float64(qps))
	p.Y.Min, p.Y.Max = 0, peak*1.32
	p.Y.Tick.Marker = wholeTicks{}
	p.Add(bands{events: events, end: end})
	p.Add(plotter.NewGrid())
	if len(total) > 1 {
		l, _ := plotter.NewLine(total)
		l.LineStyle = draw.LineStyle(lineStyle(totalColor, 1.5, true))
		p.Add(l)
	}
	addServerLines(p, len(names), samples, func(s sample, i int) float64 {
		if i < len(s.Servers) && s.Servers[i].QPSOK {
			return s.Servers[i].QPS
		}
		return math.NaN()
	})
	p.Add(marks{events: events, labels: true})
	return p
}

// addServerLines adds a line per server (n of them) in its color: value
// of each sample, NaN where it is unknown.
func addServerLines(p *plot.Plot, n int, samples []sample, value func(s sample, i int) float64) {
	for i := range n {
		var xys plotter.XYs
		for _, s := range samples {
			if v := value(s, i); !math.IsNaN(v) {
				xys = append(xys, plotter.XY{X: seconds(s.At), Y: v})
			}
		}
		if len(xys) < 2 {
			continue
		}
		l, _ := plotter.NewLine(xys)
		l.LineStyle = draw.LineStyle{Color: serverColor(i), Width: vg.Points(2.6)}
		p.Add(l)
	}
}

// statePanel is the lower panel: one strip per server, colored by what it
// advertised, with the metric written where there is room.
func statePanel(names []string, samples []sample, events []event, end float64) *plot.Plot {
	return stripPanel("what each server's anycostd advertises to the router (the lowest metric gets the queries; equal ones share them)",
		names, events, end, strips{samples: samples, n: len(names), end: end})
}

// stripPanel is a lower panel titled title: the strips st, one per
// server (named on the y axis), on the time axis up to end with the
// steps marked.
func stripPanel(title string, names []string, events []event, end float64, st strips) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "time since the load started (m:ss)"
	styleAxes(p, end)
	p.Title.TextStyle.Font = boldOf(11)
	n := len(names)
	var ticks []plot.Tick
	for i, name := range names {
		ticks = append(ticks, plot.Tick{Value: float64(n - 1 - i), Label: name})
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Tick.Label.Font = fontOf(12)
	p.Y.Min, p.Y.Max = -0.6, float64(n)-0.4
	p.Y.Tick.Length = 0
	p.Y.Color = color.Transparent
	p.Add(bands{events: events, end: end})
	p.Add(st)
	p.Add(marks{events: events})
	return p
}

// bands shades every other step.
type bands struct {
	events []event
	end    float64
}

func (b bands) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	for i, e := range b.events {
		if i%2 == 0 {
			continue
		}
		x0 := trX(seconds(e.At))
		x1 := trX(b.end)
		if i+1 < len(b.events) {
			x1 = trX(seconds(b.events[i+1].At))
		}
		c.FillPolygon(bandColor, []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}})
	}
}

// marks draws a dashed line where each step starts, and with labels its
// number and name at the top, and below the name how many queries
// dnsperf lost during the step.
type marks struct {
	events []event
	labels bool
}

func (m marks) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	ls := draw.LineStyle{Color: eventColor, Width: vg.Points(1.1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
	title := textStyle(10, color.Black)
	title.Font = boldOf(10)
	title.YAlign = draw.YTop
	note := textStyle(9.5, goodColor)
	note.YAlign = draw.YTop
	lastRight := c.Min.X - 1000
	row := 0
	for _, e := range m.events {
		x := trX(seconds(e.At))
		if e.At > 0 {
			c.StrokeLine2(ls, x, c.Min.Y, x, c.Max.Y)
		}
		if !m.labels {
			continue
		}
		label := fmt.Sprintf("%d  %s", e.N, e.Short)
		lost := ""
		if e.Measured {
			lost = fmt.Sprintf("%s lost", thousands(e.Lost))
			if e.Lost > 0 {
				lost = fmt.Sprintf("%s of %s lost", thousands(e.Lost), thousands(e.Sent))
			}
		}
		tx := x + vg.Points(4)
		w := max(title.Width(label), note.Width(lost))
		// Step down a row where the previous label would be overlapped.
		if tx < lastRight+vg.Points(12) {
			row = (row + 1) % 2
		} else {
			row = 0
		}
		y := c.Max.Y - vg.Points(4) - vg.Length(row)*vg.Points(30)
		c.FillText(title, vg.Point{X: tx, Y: y}, label)
		if lost != "" {
			n := note
			if e.Lost > 0 {
				n.Color = badColor
			}
			c.FillText(n, vg.Point{X: tx, Y: y - vg.Points(13)}, lost)
		}
		lastRight = tx + w
	}
}

// strips draws one bar per server, colored by its state over time, the
// state written inside where there is room. By default the state is
// what the server advertised (stateKey), filled by stateFill and written
// as "metric N"; key, fill and labels replace those.
type strips struct {
	samples []sample
	n       int
	end     float64
	// key is server i's state in a sample ("" unknown: not drawn).
	key func(s sample, i int) string
	// fill is a state's color.
	fill func(key string) color.Color
	// labels are the texts a state may be written as, longest first:
	// the first that fits is written.
	labels func(key string) []string
}

// stateKey names what a server advertised: "10", "20", "40" (the metric),
// "withdrawn", "drained", or "" when unknown (anycostd not running).
func stateKey(st serverState) string {
	switch {
	case !st.Daemon:
		return ""
	case st.Advertised:
		return fmt.Sprint(st.Metric)
	case st.Drained:
		return "drained"
	default:
		return "withdrawn"
	}
}

func stateFill(key string) color.Color {
	switch key {
	case "withdrawn":
		return withdrawnFill
	case "drained":
		return drainedFill
	}
	if c, ok := stateColors[key]; ok {
		return c
	}
	return rgb(0xff, 0xa9, 0x4d) // another metric
}

// stateLabels writes a metric as "metric N", or N where that is too
// wide.
func stateLabels(key string) []string {
	if _, err := fmt.Sscan(key, new(int)); err == nil {
		return []string{"metric " + key, key}
	}
	return []string{key}
}

func (s strips) Plot(c draw.Canvas, p *plot.Plot) {
	key, fill, labels := s.key, s.fill, s.labels
	if key == nil {
		key = func(smp sample, i int) string {
			if i < len(smp.Servers) {
				return stateKey(smp.Servers[i])
			}
			return ""
		}
	}
	if fill == nil {
		fill = stateFill
	}
	if labels == nil {
		labels = stateLabels
	}
	trX, trY := p.Transforms(&c)
	label := textStyle(10, rgb(0x21, 0x25, 0x29))
	label.XAlign, label.YAlign = draw.XCenter, draw.YCenter
	for i := range s.n {
		y := float64(s.n - 1 - i)
		y0, y1 := trY(y-0.34), trY(y+0.34)
		// Runs of equal state; each sample holds until the next one.
		start, k := -1.0, ""
		flush := func(until float64) {
			if start < 0 || k == "" {
				return
			}
			x0, x1 := trX(start), trX(until)
			c.FillPolygon(fill(k), []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
			texts := labels(k)
			for j, txt := range texts {
				room := x1 - x0 - vg.Points(4)
				if j < len(texts)-1 {
					room -= vg.Points(2) // a longer text keeps a wider margin
				}
				if label.Width(txt) < room {
					c.FillText(label, vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}, txt)
					break
				}
			}
		}
		for _, smp := range s.samples {
			sk := key(smp, i)
			if sk != k || start < 0 {
				flush(seconds(smp.At))
				start, k = seconds(smp.At), sk
			}
		}
		flush(s.end)
	}
}

// thousands writes n with thin separators: 45 012.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 10000 {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
