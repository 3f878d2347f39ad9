package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apitap/apitap/sensor/synth"
)

// BenchmarkLive replays a generated capture with tcpreplay into a veth
// pair while `apitap run` (2 workers) captures the other end, at the top
// speed tcpreplay reaches and at fixed rates, and reports the achieved
// rate, the kernel's drops and the share of the transactions `apitap read`
// finds in the same file. Run it with `make bench-live` (root, tcpreplay).
//
//	go test -run '^$' -bench Live -benchtime 1x ./cmd/apitap/
func BenchmarkLive(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	if _, err := exec.LookPath("tcpreplay"); err != nil {
		b.Skip("needs tcpreplay")
	}
	dir := b.TempDir()
	pcap := filepath.Join(dir, "live.pcap")
	f, err := os.Create(pcap)
	if err != nil {
		b.Fatal(err)
	}
	// Frames up to 1514 bytes: the veth's MTU.
	conns := 2000
	if n, err := strconv.Atoi(os.Getenv("APITAP_LIVE_CONNS")); err == nil && n > 0 {
		conns = n // a longer replay measures the sustained rate, not the rings' capacity
	}
	_, err = synth.Write(f, synth.Config{Seed: 11, Connections: conns, RequestsPerConn: 20, MSS: 1448})
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	bin := buildApitap(b)
	want := readTransactions(b, bin, pcap)
	for _, rate := range rates() { // Mbit/s
		b.Run(rate, func(b *testing.B) {
			for b.Loop() {
				got, mbps, pps, drops := replay(b, bin, pcap, rate)
				b.ReportMetric(mbps, "Mbit/s")
				b.ReportMetric(pps, "pkts/s")
				b.ReportMetric(float64(drops), "kernel-drops")
				b.ReportMetric(100*float64(got)/float64(want), "%found")
			}
		})
	}
}

// readTransactions counts what `apitap read` finds in the file.
func readTransactions(b *testing.B, bin, pcap string) int {
	out, err := exec.Command(bin, "read", pcap).Output()
	if err != nil {
		b.Fatal(err)
	}
	m := regexp.MustCompile(`transactions\s+(\d+)`).FindSubmatch(out)
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// replay sends the file through a veth pair at rate ("topspeed" or
// Mbit/s) and returns the transactions apitap run found, the rate
// tcpreplay achieved, and the kernel's drops.
func replay(b *testing.B, bin, pcap, rate string) (found int, mbps, pps float64, drops uint64) {
	p := fmt.Sprintf("ab%d", os.Getpid()%100000)
	ipcmd(b, "netns", "add", p+"mon")
	defer exec.Command("ip", "netns", "del", p+"mon").Run()
	ipcmd(b, "link", "add", p+"r", "type", "veth", "peer", "name", p+"m")
	defer exec.Command("ip", "link", "del", p+"r").Run()
	ipcmd(b, "link", "set", p+"m", "netns", p+"mon")
	ipcmd(b, "link", "set", p+"r", "up")
	ipcmd(b, "-n", p+"mon", "link", "set", p+"m", "up")
	ipcmd(b, "-n", p+"mon", "link", "set", "lo", "up")
	state := filepath.Join(b.TempDir(), "state")
	var log lockedBuffer
	run := exec.Command("ip", "netns", "exec", p+"mon", bin, "run", "--iface", p+"m", "--workers", "2",
		"--state", state, "--listen", "127.0.0.1:9190", "--log-format", "console", "--ring-blocks", "128")
	run.Stderr = &log
	if err := run.Start(); err != nil {
		b.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(log.String(), "capturing"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("apitap run did not start:\n%s", log.String())
		}
	}
	args := []string{"-i", p + "r", "--preload-pcap"}
	if rate == "topspeed" {
		args = append(args, "--topspeed")
	} else {
		args = append(args, "--mbps", rate)
	}
	out, err := exec.Command("tcpreplay", append(args, pcap)...).CombinedOutput()
	if err != nil {
		b.Fatalf("tcpreplay: %v\n%s", err, out)
	}
	if m := regexp.MustCompile(`Rated: [\d.]+ Bps, ([\d.]+) Mbps, ([\d.]+) pps`).FindSubmatch(out); m != nil {
		mbps, _ = strconv.ParseFloat(string(m[1]), 64)
		pps, _ = strconv.ParseFloat(string(m[2]), 64)
	}
	time.Sleep(time.Second) // let the workers drain their queues
	metrics, _ := exec.Command("ip", "netns", "exec", p+"mon", "curl", "-s", "http://127.0.0.1:9190/metrics").Output()
	if m := regexp.MustCompile(`apitap_capture_kernel_drops_total\{[^}]*\} (\d+)`).FindSubmatch(metrics); m != nil {
		drops, _ = strconv.ParseUint(string(m[1]), 10, 64)
	}
	run.Process.Signal(syscall.SIGTERM)
	run.Wait()
	inv, err := exec.Command(bin, "inventory", "--state", state, "--format", "csv").Output()
	if err != nil {
		b.Fatalf("inventory: %v\n%s", err, log.String())
	}
	lines := bytes.Split(bytes.TrimSpace(inv), []byte("\n"))
	for _, l := range lines[1:] {
		cols := strings.Split(string(l), ",")
		n, _ := strconv.Atoi(cols[7]) // requests
		found += n
	}
	return found, mbps, pps, drops
}

// rates are the replay rates tried, in Mbit/s: APITAP_LIVE_RATES overrides
// them ("topspeed,1000,500").
func rates() []string {
	if r := os.Getenv("APITAP_LIVE_RATES"); r != "" {
		return strings.Split(r, ",")
	}
	return []string{"topspeed", "1000", "700", "500"}
}
