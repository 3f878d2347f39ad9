// Package alert defines what apitap reports to people and SIEMs: the Alert,
// its type, severity and evidence.
//
// Detectors (package detect) raise findings; a Manager turns them into
// alerts, one open alert per (type, endpoint, client) that is updated while
// the condition lasts and closed after a quiet period, under a global rate
// limit; alerts are stored and written out as OCSF Detection Findings.
//
// # Caveats
//
// Alerts handed to a Sink are copies: a sink may keep them.
package alert
