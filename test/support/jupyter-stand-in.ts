// JupyterLab cannot be installed on these offline machines, so a stand-in named `jupyter` (put on
// the container's PATH through the workspace's dev_scripts/) serves the port with the arguments
// dt gives it, and reads its token as JupyterLab does. What is real around it: the container, its
// network, the port, the token, Ctrl-C.
export const STAND_IN_JUPYTER = `#!/usr/bin/env python3
import http.server, os, sys
args = dict(a.split("=", 1) for a in sys.argv[2:] if "=" in a)
# As JupyterLab: --ServerApp.token if given, else the JUPYTER_TOKEN environment variable.
token = args.get("--ServerApp.token", os.environ.get("JUPYTER_TOKEN", ""))
class Lab(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = bool(token) and self.path.endswith("token=" + token)
        self.send_response(200 if ok else 403)
        self.end_headers()
        self.wfile.write(b"lab" if ok else b"forbidden")
    def log_message(self, *a):
        pass
print("stand-in lab on", args["--ip"], args["--port"], flush=True)
http.server.HTTPServer((args["--ip"], int(args["--port"])), Lab).serve_forever()
`;
