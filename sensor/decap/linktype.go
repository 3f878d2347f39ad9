package decap

import (
	"slices"

	"github.com/gopacket/gopacket/layers"
)

// linkTypes are the link types Decode reads (see Decoder.linkLayer).
var linkTypes = []layers.LinkType{
	layers.LinkTypeEthernet, layers.LinkTypeRaw, linkTypeRawBSD, linkTypeRawOpenBSD,
	layers.LinkTypeIPv4, layers.LinkTypeIPv6, layers.LinkTypeNull, layers.LinkTypeLoop,
	layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2, linkTypeNFLog, layers.LinkTypeIEEE80211Radio,
}

// SupportsLinkType reports whether Decode reads frames of link type l, so a
// caller can tell a capture it cannot read from one with nothing in it.
func SupportsLinkType(l layers.LinkType) bool { return slices.Contains(linkTypes, l) }
