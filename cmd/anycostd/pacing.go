package main

import (
	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/ospf"
)

// configPacing is what the configuration implies before any router was
// met: the assumed MinLSArrival.
func configPacing(c *config.Config) ospf.PacingStatus {
	min := c.OSPF.MinLSInterval
	assumed := ospf.AssumedMinLSArrival(min)
	return ospf.PacingStatus{MinLSInterval: min, RouterMinLSArrival: assumed, WithdrawWithin: ospf.WithdrawWithin(min, assumed)}
}
