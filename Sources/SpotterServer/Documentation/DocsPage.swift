/// `GET /docs`: the OpenAPI document rendered as one self-contained HTML page.
///
/// The document is embedded in the page and rendered by a small inline script: no CDN, no external scripts, styles
/// or fonts, so it works offline and under a strict Content-Security-Policy of `'self' 'unsafe-inline'`.
enum DocsPage {
    static let html: String = template.replacingOccurrences(
        of: "@OPENAPI@", with: OpenAPIDocument.json.replacingOccurrences(of: "</", with: "<\\/"))

    private static let template = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Spotter API</title>
<style>
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d2430; background: #fafbfc; }
header { background: #1d2430; color: #fff; padding: 1.2rem 2rem; }
header h1 { margin: 0; font-size: 1.5rem; }
main { display: grid; grid-template-columns: 16rem 1fr; gap: 2rem; padding: 1.5rem 2rem; max-width: 80rem; }
nav { position: sticky; top: 1rem; align-self: start; font-size: 0.9rem; }
nav h3 { margin: 1rem 0 0.3rem; font-size: 0.8rem; text-transform: uppercase; color: #667; }
nav a { display: block; color: #1d2430; text-decoration: none; padding: 0.1rem 0; }
nav a:hover { text-decoration: underline; }
section.op { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 1rem 1.2rem; margin-bottom: 1.2rem; }
.method { display: inline-block; min-width: 4.2rem; text-align: center; font-weight: 700; color: #fff; border-radius: 4px; padding: 0.1rem 0.4rem; margin-right: 0.5rem; font-size: 0.85rem; }
.get { background: #2f6fb0; } .post { background: #2e8b57; } .delete { background: #b03a2e; } .put, .patch { background: #b07a2e; }
.path { font-family: ui-monospace, Menlo, Consolas, monospace; font-weight: 600; }
code, pre { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.85rem; }
pre { background: #f3f5f7; border: 1px solid #e3e6ea; padding: 0.6rem; overflow-x: auto; border-radius: 4px; }
table { border-collapse: collapse; width: 100%; margin: 0.4rem 0; }
th, td { text-align: left; vertical-align: top; padding: 0.25rem 0.5rem; border-bottom: 1px solid #eceff2; }
th { font-size: 0.8rem; color: #556; }
.req { color: #b03a2e; font-size: 0.75rem; }
.type { color: #6a3fa0; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.85rem; }
.status { font-weight: 700; }
h4 { margin: 0.9rem 0 0.3rem; }
details { margin: 0.3rem 0; }
summary { cursor: pointer; color: #2f6fb0; }
.schema { margin-left: 0.6rem; }
</style>
</head>
<body>
<header><h1 id="title">Spotter API</h1><div id="subtitle"></div></header>
<main><nav id="nav"></nav><div id="content"><noscript>This page renders <a href="/openapi.json">/openapi.json</a> with an inline script; enable JavaScript or read the JSON directly.</noscript></div></main>
<script type="application/json" id="openapi">@OPENAPI@</script>
<script>
(function () {
  const spec = JSON.parse(document.getElementById("openapi").textContent);
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const md = (s) => !s ? "" : esc(s).replace(/`([^`]+)`/g, "<code>$1</code>").replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .split(/\n\n+/).map((p) => "<p>" + p + "</p>").join("");
  const refName = (r) => r.split("/").pop();
  const anchor = (method, path) => "op-" + method + "-" + path.replace(/[^A-Za-z0-9]+/g, "-");
  function typeOf(s) {
    if (!s) return "any";
    if (s.$ref) return '<a href="#schema-' + esc(refName(s.$ref)) + '">' + esc(refName(s.$ref)) + "</a>";
    let t = Array.isArray(s.type) ? s.type.join(" | ") : (s.type || "any");
    if (s.type === "array" || (Array.isArray(s.type) && s.type.includes("array"))) t = t.replace("array", "array of " + typeOf(s.items));
    let extra = [];
    if (s.enum) extra.push("one of " + s.enum.map((v) => "<code>" + esc(JSON.stringify(v)) + "</code>").join(", "));
    if (s.format) extra.push(esc(s.format));
    if (s.default !== undefined) extra.push("default <code>" + esc(JSON.stringify(s.default)) + "</code>");
    for (const k of ["minimum", "maximum", "minLength", "maxLength", "minItems", "pattern"]) if (s[k] !== undefined) extra.push(k + " " + esc(s[k]));
    return '<span class="type">' + t + "</span>" + (extra.length ? " (" + extra.join("; ") + ")" : "");
  }
  function schemaHTML(s) {
    if (!s) return "";
    let h = "<div class=\"schema\">" + typeOf(s) + (s.description ? " " + md(s.description) : "");
    const obj = s.properties ? s : (s.items && s.items.properties ? s.items : null);
    if (obj) {
      const req = new Set(obj.required || []);
      h += "<table><tr><th>field</th><th>type</th><th>description</th></tr>";
      for (const [name, p] of Object.entries(obj.properties)) {
        h += "<tr><td><code>" + esc(name) + "</code>" + (req.has(name) ? ' <span class="req">required</span>' : "") + "</td><td>" + typeOf(p) +
          (p.properties || (p.items && p.items.properties) ? schemaHTML(p) : "") + "</td><td>" + md(p.description) + "</td></tr>";
      }
      h += "</table>";
      if (obj.additionalProperties === false) h += "<div><small>No other fields.</small></div>";
    } else if (s.additionalProperties && typeof s.additionalProperties === "object") {
      h += "<div>values: " + typeOf(s.additionalProperties) + "</div>";
    }
    return h + "</div>";
  }
  function examplesHTML(media) {
    let h = "";
    for (const [name, ex] of Object.entries(media.examples || {})) {
      const v = typeof ex.value === "string" ? ex.value : JSON.stringify(ex.value, null, 2);
      h += "<details><summary>example: " + esc(name) + (ex.summary ? " — " + esc(ex.summary) : "") + "</summary><pre>" + esc(v) + "</pre></details>";
    }
    return h;
  }
  function contentHTML(content) {
    let h = "";
    for (const [type, media] of Object.entries(content || {})) {
      const s = media.schema || {};
      const fields = s.$ref ? "<details><summary>fields of " + esc(refName(s.$ref)) + "</summary>" + schemaHTML(spec.components.schemas[refName(s.$ref)]) + "</details>" : "";
      h += "<div><code>" + esc(type) + "</code> " + schemaHTML(media.schema) + fields + examplesHTML(media) + "</div>";
    }
    return h;
  }
  document.getElementById("title").textContent = spec.info.title + " " + spec.info.version;
  document.getElementById("subtitle").innerHTML = "OpenAPI " + esc(spec.openapi) + ' · <a style="color:#9cf" href="/openapi.json">/openapi.json</a>';
  const groups = {};
  for (const [path, item] of Object.entries(spec.paths)) for (const [method, op] of Object.entries(item)) {
    const tag = (op.tags || ["Other"])[0];
    (groups[tag] = groups[tag] || []).push({ path, method, op });
  }
  let nav = "", body = md(spec.info.description);
  for (const tag of (spec.tags || []).map((t) => t.name).concat(Object.keys(groups)).filter((t, i, a) => a.indexOf(t) === i && groups[t])) {
    nav += "<h3>" + esc(tag) + "</h3>";
    body += "<h2>" + esc(tag) + "</h2>";
    for (const { path, method, op } of groups[tag]) {
      const id = anchor(method, path);
      nav += '<a href="#' + id + '"><span class="type">' + method.toUpperCase() + "</span> " + esc(path) + "</a>";
      body += '<section class="op" id="' + id + '"><div><span class="method ' + method + '">' + method.toUpperCase() + '</span><span class="path">' + esc(path) + "</span></div>";
      body += "<p><strong>" + esc(op.summary || "") + "</strong></p>" + md(op.description);
      if (op.parameters && op.parameters.length) {
        body += "<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th><th>description</th></tr>";
        for (const p of op.parameters) body += "<tr><td><code>" + esc(p.name) + "</code>" + (p.required ? ' <span class="req">required</span>' : "") + "</td><td>" + esc(p.in) + "</td><td>" + typeOf(p.schema) + "</td><td>" + md(p.description) + (p.example !== undefined ? "<div>example: <code>" + esc(JSON.stringify(p.example)) + "</code></div>" : "") + "</td></tr>";
        body += "</table>";
      }
      if (op.requestBody) body += "<h4>Request body</h4>" + contentHTML(op.requestBody.content);
      body += "<h4>Responses</h4>";
      for (const [status, given] of Object.entries(op.responses)) {
        const r = given.$ref ? spec.components.responses[refName(given.$ref)] : given;
        body += '<div><span class="status">' + esc(status) + "</span> " + md(r.description) + (r.headers ? "<div>headers: " + Object.keys(r.headers).map((k) => "<code>" + esc(k) + "</code>").join(", ") + "</div>" : "") + contentHTML(r.content) + "</div>";
      }
      body += "</section>";
    }
  }
  nav += "<h3>Schemas</h3>";
  body += "<h2>Schemas</h2>";
  for (const [name, s] of Object.entries(spec.components.schemas)) {
    nav += '<a href="#schema-' + esc(name) + '">' + esc(name) + "</a>";
    body += '<section class="op" id="schema-' + esc(name) + '"><span class="path">' + esc(name) + "</span>" + schemaHTML(s) + "</section>";
  }
  document.getElementById("nav").innerHTML = nav;
  document.getElementById("content").innerHTML = body;
})();
</script>
</body>
</html>
"""#
}
