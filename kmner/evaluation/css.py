"""The stylesheet inlined into every HTML report (render_html.py)."""

CSS = """
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--card:#fff;
--accent:#4f46e5;--good:#059669;--bad:#dc2626;--warn:#b45309}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,
"Segoe UI","Noto Sans CJK KR","Noto Sans KR","Apple SD Gothic Neo","Malgun Gothic",sans-serif}
main{max-width:1120px;margin:0 auto;padding:28px 28px 60px}
header h1{margin:0;font-size:26px;letter-spacing:-.01em}
header .sub{color:var(--muted);margin-top:4px}
h2{font-size:17px;margin:0 0 12px}
section{background:var(--card);border:1px solid var(--line);border-radius:12px;
padding:18px 20px;margin-top:18px;box-shadow:0 1px 2px rgba(0,0,0,.03)}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:18px}
.grid2>section{margin-top:0}
.alert{margin-top:18px;border-radius:12px;padding:16px 20px;background:#fef2f2;
border:2px solid var(--bad);color:#7f1d1d}
.alert strong{font-size:18px;display:block;margin-bottom:4px}
.alert ul{margin:6px 0 0;padding-left:20px}
.note{margin-top:14px;border-radius:10px;padding:10px 16px;background:#fffbeb;
border:1px solid #f59e0b;color:#78350f}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:14px;margin-top:18px}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:14px 16px}
.card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.card .v{font-size:30px;font-weight:700;letter-spacing:-.02em;font-variant-numeric:tabular-nums}
.card .ci{color:var(--muted);font-size:12px;font-variant-numeric:tabular-nums}
.card.head{border-color:var(--accent);box-shadow:inset 4px 0 0 var(--accent)}
.gauge{position:relative;height:10px;border-radius:5px;background:#eef2ff;margin:10px 0 16px}
.gauge .fill{position:absolute;left:0;top:0;bottom:0;border-radius:5px;background:var(--accent)}
.gauge .tick{position:absolute;top:-4px;bottom:-4px;width:2px;background:#9ca3af}
.gauge .tick span{position:absolute;top:14px;left:-14px;font-size:10px;color:var(--muted);
white-space:nowrap}
.level{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}
.level.ok{background:#d1fae5;color:#065f46}.level.mid{background:#fef3c7;color:#92400e}
.level.no{background:#fee2e2;color:#991b1b}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th{font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.03em}
th:first-child,td:first-child{text-align:left}
td.l,th.l{text-align:left;white-space:normal}
td.lt{text-align:left}
tr.total td{font-weight:700;border-top:2px solid var(--ink)}
.muted{color:var(--muted)}
.delta.pos{color:var(--good);font-weight:600}.delta.neg{color:var(--bad);font-weight:600}
table.heat{table-layout:fixed}
.heat td,.heat th{text-align:center;font-weight:600}
.heat tr>:first-child{width:190px;text-align:left;white-space:normal}
.chart{max-width:100%;height:auto;font:12px system-ui,"Noto Sans CJK KR",sans-serif}
.chart .grid{stroke:#f1f5f9}.chart .grid.major{stroke:#e2e8f0}
.chart .tick{fill:#6b7280;font-size:11px}.chart .label{fill:#1f2937;font-weight:600}
.chart .value{fill:#374151;font-size:11px}
.chart .whisker line{stroke:#111827;stroke-width:1.4}
.chart .legend{fill:#374151}
.chart .iso{fill:none;stroke:#cbd5e1;stroke-dasharray:3 3}
.chart .iso-label{fill:#94a3b8;font-size:10px}
.chart .curve{fill:none;stroke-width:2.2;stroke-linejoin:round}
.chart .mark{fill:#dc2626;stroke:#fff;stroke-width:2}
.chart .mark-label{fill:#991b1b;font-size:11px;font-weight:600}
.chart .axis{fill:#374151;font-size:12px}
.ex{font-size:14px;line-height:2.1;padding:8px 0;border-bottom:1px dashed var(--line)}
.ex .id{color:var(--muted);font-size:11px;margin-right:8px}
.ex .row{display:grid;grid-template-columns:44px 1fr;align-items:baseline}
.ex .who{font-size:11px;color:var(--muted);text-transform:uppercase}
mark{border-radius:3px;padding:1px 2px}
mark sup{font-size:9px;margin-left:2px;opacity:.8;font-weight:600}
mark.tp{background:#d1fae5;box-shadow:inset 0 -2px 0 #059669}
mark.fn{background:#fee2e2;box-shadow:inset 0 -2px 0 #dc2626}
mark.fp{background:#ffedd5;box-shadow:inset 0 -2px 0 #ea580c}
.legend-row{font-size:12px;color:var(--muted);margin-bottom:6px}
.ctx{color:var(--muted)}.ctx b{color:var(--ink);background:#fef3c7;padding:0 2px;
border-radius:2px;font-weight:600}
details{margin-top:6px}summary{cursor:pointer;color:var(--accent)}
footer{color:var(--muted);font-size:12px;margin-top:24px}
code{background:#f1f5f9;padding:1px 4px;border-radius:4px;font-size:12px}
"""
