//go:build !unix

package spec

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }
