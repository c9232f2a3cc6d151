package contrib

import (
	"bufio"
	"go/build"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const module = "github.com/anycostd/anycostd"

// socketOpeners are the ways the code of anycostd opens a socket, each
// with the address families it may open. Library calls that open one
// (vishvananda/netlink, mdlayher/ndp) are listed by their entry points.
var socketOpeners = []struct {
	re       *regexp.Regexp
	families func(match []string) []string
}{
	// unix.Socket(unix.AF_PACKET, ...): the family is in the call.
	{regexp.MustCompile(`unix\.Socket\(unix\.(AF_[A-Z0-9]+)`), func(m []string) []string { return []string{m[1]} }},
	// Go's net package by network name: net.Listen("tcp", ...),
	// ListenPacket("ip6:89", ...), dns.Client{Net: "udp"}, ...
	{regexp.MustCompile(`"(tcp|udp|ip)([46]?)(:[0-9a-z%-]+)?"`), func(m []string) []string {
		switch m[2] {
		case "4":
			return []string{"AF_INET"}
		case "6":
			return []string{"AF_INET6"}
		}
		return []string{"AF_INET", "AF_INET6"} // as the address says
	}},
	{regexp.MustCompile(`"unix(gram|packet)?"`), func([]string) []string { return []string{"AF_UNIX"} }},
	// rtnetlink: links, addresses and their notifications.
	{regexp.MustCompile(`\bnetlink\.(NewHandle\w*|\w*Subscribe\w*|Addr\w+|Link\w+)\(`), func([]string) []string { return []string{"AF_NETLINK"} }},
	// ndp.Listen opens a raw ICMPv6 socket.
	{regexp.MustCompile(`\bndp\.Listen\(`), func([]string) []string { return []string{"AF_INET6"} }},
}

// binaryFiles returns the non-test Go files of every package of this
// module that cmd/anycostd is built from.
func binaryFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	seen := map[string]bool{}
	var visit func(pkg string)
	visit = func(pkg string) {
		if seen[pkg] {
			return
		}
		seen[pkg] = true
		dir := filepath.Join("..", filepath.FromSlash(strings.TrimPrefix(pkg, module+"/")))
		p, err := build.Default.ImportDir(dir, 0)
		if err != nil {
			t.Fatalf("%s: %v", pkg, err)
		}
		for _, f := range p.GoFiles {
			files = append(files, filepath.Join(dir, f))
		}
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, module+"/") {
				visit(imp)
			}
		}
	}
	visit(module + "/cmd/anycostd")
	return files
}

// TestUnitAddressFamilies: the unit's RestrictAddressFamilies allows each
// address family the daemon's code opens a socket in (a missing one fails
// that socket under the unit only, as AF_PACKET once left ND services
// without their query counter), and no other.
func TestUnitAddressFamilies(t *testing.T) {
	opened := map[string][]string{} // family -> file:line that opens it
	for _, path := range binaryFiles(t) {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if strings.HasPrefix(line, "//") {
				continue
			}
			for _, o := range socketOpeners {
				for _, m := range o.re.FindAllStringSubmatch(line, -1) {
					for _, fam := range o.families(m) {
						opened[fam] = append(opened[fam], filepath.ToSlash(strings.TrimPrefix(path, "../"))+":"+strconv.Itoa(n))
					}
				}
			}
		}
		f.Close()
	}
	// The scan must see what each mode is known to open, or it is blind.
	for fam, where := range map[string]string{
		"AF_INET6":   "ospf/rawsock/rawconn.go", // OSPF: raw ip6:89
		"AF_PACKET":  "ndproxy/ndsock/querycount.go",
		"AF_NETLINK": "monitor/sockdiag/sockdiag.go",
		"AF_UNIX":    "control/server.go",
	} {
		if !slices.ContainsFunc(opened[fam], func(s string) bool { return strings.HasPrefix(s, where+":") }) {
			t.Errorf("the scan does not see %s opened in %s (seen: %v)", fam, where, opened[fam])
		}
	}
	var allowed []string
	for _, l := range readUnit(t) {
		if l.key == "RestrictAddressFamilies" {
			allowed = strings.Fields(l.value)
		}
	}
	var families []string
	for fam := range opened {
		families = append(families, fam)
	}
	slices.Sort(families)
	slices.Sort(allowed)
	if diff := cmp.Diff(families, allowed); diff != "" {
		t.Errorf("RestrictAddressFamilies (+) and the families the code opens (-) differ:\n%s", diff)
		for _, fam := range families {
			if !slices.Contains(allowed, fam) {
				t.Errorf("%s, opened at %s, is not allowed by the unit", fam, strings.Join(opened[fam], ", "))
			}
		}
	}
}
