package load

import (
	"encoding/json"
	"testing"
	"time"
)

func TestDurationJSONIsMilliseconds(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		json string
	}{{0, "0"}, {2 * time.Second, "2000"}, {1500 * time.Microsecond, "1.5"}, {90 * time.Minute, "5400000"}} {
		b, err := json.Marshal(Duration(c.d))
		if err != nil || string(b) != c.json {
			t.Fatalf("%s: %s, %v; want %s", c.d, b, err, c.json)
		}
		var back Duration
		if err := json.Unmarshal(b, &back); err != nil || back.Std() != c.d {
			t.Fatalf("%s: read back %s, %v", c.d, back, err)
		}
	}
	var d Duration
	for _, bad := range []string{`"2s"`, "1e300", "NaN", "null"} {
		if err := json.Unmarshal([]byte(bad), &d); err == nil && bad != "null" {
			t.Errorf("%s: want an error", bad)
		}
	}
}

func TestSpecCheck(t *testing.T) {
	sec := Duration(time.Second)
	ok := []Spec{
		{Model: Closed, Sessions: 1, Duration: sec},
		{Model: Open, Sessions: 1, MaxSessions: 4, Rate: 10, Duration: sec},
		{Model: Ramp, Sessions: 1, MaxSessions: 1, Rate: 10, Duration: sec, Ramp: &RampSpec{From: 0, To: 10, Over: sec}},
		{Model: FindMax, Sessions: 1, FindMax: &FindMaxSpec{Start: 1, Step: 1, Max: 2, StepDuration: sec}, Duration: 2 * sec},
	}
	for _, s := range ok {
		if err := s.Check(); err != nil {
			t.Errorf("%+v: %v", s, err)
		}
	}
	bad := []Spec{
		{Model: Closed, Sessions: 0, Duration: sec},
		{Model: Open, Sessions: 5, MaxSessions: 4, Rate: 10, Duration: sec},
		{Model: Open, Sessions: 1, MaxSessions: 1, Rate: 0, Duration: sec},
		{Model: Ramp, Sessions: 1, MaxSessions: 1, Duration: sec, Ramp: &RampSpec{Over: 2 * sec, To: 1}},
		{Model: FindMax, Sessions: 1, FindMax: &FindMaxSpec{Start: 3, Step: 1, Max: 2, StepDuration: sec}},
		{Model: "burst", Sessions: 1, Duration: sec},
	}
	for _, s := range bad {
		if err := s.Check(); err == nil {
			t.Errorf("%+v: want an error", s)
		}
	}
}
