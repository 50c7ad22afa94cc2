package deploy

import "time"

var timeFixed = time.Date(2026, 12, 2, 10, 15, 0, 0, time.UTC)
