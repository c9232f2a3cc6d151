package config

import "fmt"

// Host answers the questions `anycostd check --host` asks of the system,
// so that a configuration valid on paper is also one `anycostd run` can
// start with on this host. The config package itself reads nothing but
// the configuration file; cmd/anycostd implements Host with the system,
// tests with a map.
type Host interface {
	// InterfaceExists reports whether the network interface exists now.
	InterfaceExists(name string) (bool, error)
	// CheckKeyFile returns why run could not read the authentication
	// key in the file (missing, unreadable, a mode wider than 0600,
	// empty), or nil.
	CheckKeyFile(path string) error
}

// LoadOnHost is Load (with a nil h, it is Load), then, when the configuration is valid, the checks
// of what run needs from h: every interface the configuration names
// exists, every key file is readable and private. Their problems are
// Errors in the same file:line: key: form.
func LoadOnHost(path string, h Host) (*Config, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return parse(path, data, h)
}

// host runs the checks of LoadOnHost on a valid configuration.
func (v *validator) host(c *Config, h Host) {
	ifaces := []struct{ key, name string }{
		{"ospf.interface", c.OSPF.Interface},
		{"nd.interface", c.ND.Interface},
		// Every service's address goes there, ND services' too.
		{"ospf.address_interface", c.OSPF.AddressInterface},
	}
	for _, i := range ifaces {
		if i.name == "" {
			continue
		}
		ok, err := h.InterfaceExists(i.name)
		switch {
		case err != nil:
			v.errorf(i.key, "cannot list the interfaces: %v", err)
		case !ok:
			v.errorf(i.key, "no interface %q on this host", i.name)
		}
	}
	if c.OSPF.Auth != nil {
		for i, k := range c.OSPF.Auth.Keys {
			if err := h.CheckKeyFile(k.KeyFile); err != nil {
				v.errorf(v.keyFileKeys[i], "%v", err)
			}
		}
	}
}
