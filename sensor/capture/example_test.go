package capture_test

import (
	"fmt"
	"io"
	"log"

	"github.com/apitap/apitap/sensor/capture"
)

func ExampleOpenFile() {
	f, err := capture.OpenFile("../../../shared/corpus/zeek/http/cooper-grill-dvwa.pcapng")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	var packets, bytes int
	for {
		p, err := f.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		packets++
		bytes += len(p.Data) // p.Data is only valid until the next call to Next
	}
	fmt.Println(packets, "packets,", bytes, "bytes")
	// Output: 64 packets, 20825 bytes
}
