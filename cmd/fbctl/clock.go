package main

import "time"

// timeNow is the clock commands read; UTC everywhere.
func timeNow() time.Time { return time.Now().UTC() }
