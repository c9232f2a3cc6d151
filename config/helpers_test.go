package config

// serviceTOML is a [[service]] table for tests about other keys: a
// configuration without one is refused.
const serviceTOML = "[[service]]\nname = \"dns\"\nprefix = \"2001:db8:53::53/128\"\n"
