package config

import "strconv"

// The TOML decoder keeps each key's position to itself, so keyIndex finds
// the lines again with a small scan of the document: table headers, arrays
// of tables (counted, to index their elements), dotted keys, inline tables
// and arrays, strings of every kind (skipped, also across lines) and
// comments. It runs on documents the decoder accepted, and never fails on
// others: what it cannot read it skips.

// keyPath is one key in two spellings: full, with the index of each array
// element ("service[1].probe.kind"), and plain, as the decoder names keys
// ("service.probe.kind").
type keyPath struct{ full, plain string }

func (p keyPath) child(name string) keyPath {
	if p.full == "" {
		return keyPath{name, name}
	}
	return keyPath{p.full + "." + name, p.plain + "." + name}
}

func (p keyPath) index(i int) keyPath {
	return keyPath{p.full + "[" + strconv.Itoa(i) + "]", p.plain}
}

// keyIndex maps the keys of one document to the lines defining them.
type keyIndex struct {
	line   map[string]int    // full path -> first line (1-based)
	first  map[string]string // plain path -> first full path
	byLine map[int][]string  // line -> full paths defined on it
}

// maxNesting bounds the recursion into arrays and inline tables.
const maxNesting = 64

func indexKeys(data []byte) *keyIndex {
	ix := &keyIndex{
		line:   make(map[string]int),
		first:  make(map[string]string),
		byLine: make(map[int][]string),
	}
	s := &keyScanner{s: data, line: 1, ix: ix, arrays: make(map[string]int)}
	s.document()
	return ix
}

func (ix *keyIndex) record(p keyPath, line int) {
	if _, ok := ix.line[p.full]; ok {
		return
	}
	ix.line[p.full] = line
	ix.byLine[line] = append(ix.byLine[line], p.full)
	if _, ok := ix.first[p.plain]; !ok {
		ix.first[p.plain] = p.full
	}
}

// lookup returns the line of full path key, or of its nearest ancestor that
// has one (the table header of a missing key, for instance); 0 if none.
func (ix *keyIndex) lookup(key string) int {
	for key != "" {
		if l, ok := ix.line[key]; ok {
			return l
		}
		key = parentPath(key)
	}
	return 0
}

// fullPath turns a decoder key (plain) into the full path defined on line,
// or else the first full path with that plain spelling.
func (ix *keyIndex) fullPath(plain string, line int) string {
	for _, f := range ix.byLine[line] {
		if stripIndices(f) == plain {
			return f
		}
	}
	if f, ok := ix.first[plain]; ok {
		return f
	}
	return plain
}

func parentPath(key string) string {
	n := len(key)
	if n > 0 && key[n-1] == ']' {
		for i := n - 1; i >= 0; i-- {
			if key[i] == '[' {
				return key[:i]
			}
		}
		return ""
	}
	for i := n - 1; i >= 0; i-- {
		if key[i] == '.' {
			return key[:i]
		}
	}
	return ""
}

func stripIndices(full string) string {
	b := make([]byte, 0, len(full))
	for i := 0; i < len(full); i++ {
		if full[i] == '[' {
			for i < len(full) && full[i] != ']' {
				i++
			}
			continue
		}
		b = append(b, full[i])
	}
	return string(b)
}

type keyScanner struct {
	s      []byte
	i      int
	line   int
	ix     *keyIndex
	arrays map[string]int // full path of an array of tables -> elements seen
	table  keyPath        // the current table
}

func (s *keyScanner) eof() bool { return s.i >= len(s.s) }

func (s *keyScanner) peek() byte {
	if s.eof() {
		return 0
	}
	return s.s[s.i]
}

func (s *keyScanner) hasPrefix(p string) bool {
	return len(s.s)-s.i >= len(p) && string(s.s[s.i:s.i+len(p)]) == p
}

// advance moves past one byte, counting lines.
func (s *keyScanner) advance() {
	if s.s[s.i] == '\n' {
		s.line++
	}
	s.i++
}

func (s *keyScanner) skipBlanks() {
	for !s.eof() && (s.s[s.i] == ' ' || s.s[s.i] == '\t') {
		s.i++
	}
}

// skipSpace skips blanks, newlines and comments (inside arrays).
func (s *keyScanner) skipSpace() {
	for !s.eof() {
		switch s.s[s.i] {
		case ' ', '\t', '\r', '\n':
			s.advance()
		case '#':
			s.skipLine()
		default:
			return
		}
	}
}

// skipLine moves to the newline ending the current line (not past it).
func (s *keyScanner) skipLine() {
	for !s.eof() && s.s[s.i] != '\n' {
		s.i++
	}
}

func (s *keyScanner) document() {
	for !s.eof() {
		s.skipBlanks()
		switch s.peek() {
		case 0:
			if s.eof() {
				return
			}
			s.skipLine()
		case '\n':
			s.advance()
		case '#':
			s.skipLine()
		case '[':
			s.header()
			s.skipLine()
		default:
			s.keyValue(s.table, 0)
			s.skipLine()
		}
	}
}

// header reads [a.b] or [[a.b]] and makes it the current table.
func (s *keyScanner) header() {
	line := s.line
	s.i++
	array := s.peek() == '['
	if array {
		s.i++
	}
	names := s.keyNames()
	if len(names) == 0 {
		return
	}
	last := len(names)
	if array {
		last--
	}
	var p keyPath
	for _, n := range names[:last] {
		p = p.child(n)
		s.ix.record(p, line)
		if k := s.arrays[p.full]; k > 0 {
			p = p.index(k - 1)
		}
	}
	if array {
		p = p.child(names[last])
		s.ix.record(p, line)
		k := s.arrays[p.full]
		s.arrays[p.full] = k + 1
		p = p.index(k)
		s.ix.record(p, line)
	}
	s.table = p
}

// keyNames reads a dotted key of bare and quoted parts.
func (s *keyScanner) keyNames() []string {
	var names []string
	for {
		s.skipBlanks()
		var name string
		switch c := s.peek(); {
		case c == '"' || c == '\'':
			name = s.quotedKey(c)
		case isBare(c):
			start := s.i
			for !s.eof() && isBare(s.s[s.i]) {
				s.i++
			}
			name = string(s.s[start:s.i])
		default:
			return names
		}
		names = append(names, name)
		s.skipBlanks()
		if s.peek() != '.' {
			return names
		}
		s.i++
	}
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// quotedKey reads a one-line quoted key; escapes are kept as written,
// which is enough to name the key in a message.
func (s *keyScanner) quotedKey(q byte) string {
	s.i++
	start := s.i
	for !s.eof() && s.s[s.i] != q && s.s[s.i] != '\n' {
		if q == '"' && s.s[s.i] == '\\' && s.i+1 < len(s.s) && s.s[s.i+1] != '\n' {
			s.i++
		}
		s.i++
	}
	name := string(s.s[start:s.i])
	if s.peek() == q {
		s.i++
	}
	return name
}

// keyValue reads key = value below table.
func (s *keyScanner) keyValue(table keyPath, depth int) {
	line := s.line
	names := s.keyNames()
	if len(names) == 0 {
		return
	}
	s.skipBlanks()
	if s.peek() != '=' {
		return
	}
	s.i++
	p := table
	for _, n := range names {
		p = p.child(n)
		s.ix.record(p, line)
	}
	s.value(p, depth)
}

func (s *keyScanner) value(p keyPath, depth int) {
	s.skipBlanks()
	switch c := s.peek(); {
	case depth > maxNesting:
		s.scalar()
	case c == '"' || c == '\'':
		s.str(c)
	case c == '[':
		s.array(p, depth+1)
	case c == '{':
		s.inlineTable(p, depth+1)
	default:
		s.scalar()
	}
}

// str skips a string of any of the four kinds.
func (s *keyScanner) str(q byte) {
	triple := string([]byte{q, q, q})
	if s.hasPrefix(triple) {
		s.i += 3
		for !s.eof() {
			if q == '"' && s.s[s.i] == '\\' && s.i+1 < len(s.s) {
				s.advance()
				s.advance()
				continue
			}
			if s.hasPrefix(triple) {
				s.i += 3
				// Up to two more quotes may close the string.
				for k := 0; k < 2 && s.peek() == q; k++ {
					s.i++
				}
				return
			}
			s.advance()
		}
		return
	}
	s.i++
	for !s.eof() && s.s[s.i] != '\n' {
		c := s.s[s.i]
		if q == '"' && c == '\\' && s.i+1 < len(s.s) && s.s[s.i+1] != '\n' {
			s.i += 2
			continue
		}
		s.i++
		if c == q {
			return
		}
	}
}

// scalar skips a number, boolean or date.
func (s *keyScanner) scalar() {
	for !s.eof() {
		switch s.s[s.i] {
		case ',', ']', '}', '\n', '#':
			return
		}
		s.i++
	}
}

func (s *keyScanner) array(p keyPath, depth int) {
	s.i++
	for n := 0; !s.eof(); {
		s.skipSpace()
		start := s.i
		switch s.peek() {
		case ']':
			s.i++
			return
		case ',':
			s.i++
			n++
		case '{':
			e := p.index(n)
			s.ix.record(e, s.line)
			s.inlineTable(e, depth+1)
		case 0:
			if s.eof() {
				return
			}
			s.i++
		default:
			s.value(p.index(n), depth)
		}
		if s.i == start && !s.eof() {
			s.advance()
		}
	}
}

func (s *keyScanner) inlineTable(p keyPath, depth int) {
	s.i++
	for !s.eof() {
		s.skipSpace()
		start := s.i
		switch s.peek() {
		case '}':
			s.i++
			return
		case ',':
			s.i++
		case 0:
			if s.eof() {
				return
			}
			s.i++
		default:
			s.keyValue(p, depth)
		}
		if s.i == start && !s.eof() {
			s.advance()
		}
	}
}
