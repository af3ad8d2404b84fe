package report

// css lays the report out for a screen of any width and for print (A4 and Letter) so that nothing is cut
// off: text and code wrap (long SQL included), images and drawings shrink to the column, table cells may
// break long values, tables of many columns use a smaller type, and tables of very many columns show one
// block per row (see layoutTable). Outputs' own inline sizes are overridden where they would overflow.
const css = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--accent:#0969da;--bg:#fff;--code:#f6f8fa;--warn:#9a3412}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:960px;margin:0 auto;padding:2.5rem 1.5rem 4rem;overflow-wrap:break-word}
h1.title{font-size:2rem;margin:0 0 .75rem}
h1,h2,h3,h4{line-height:1.25}
h2{margin-top:2.2rem;padding-bottom:.3rem;border-bottom:1px solid var(--line)}
h4{margin:1.4rem 0 .4rem}
dl.meta,dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.2rem 1rem;margin:0 0 1.5rem}
dl.meta{color:var(--muted);font-size:.93rem}
dl.facts{font-size:.85rem;margin:.3rem 0 .5rem}
dl.meta dt,dl.facts dt{font-weight:600}
dl.meta dd,dl.facts dd{margin:0;min-width:0;overflow-wrap:anywhere}
nav.toc{background:var(--code);border:1px solid var(--line);border-radius:6px;padding:.6rem 1.2rem;margin-bottom:2rem}
nav.toc h2{font-size:1rem;border:0;margin:.3rem 0}
nav.toc ol{margin:0;padding-left:1.2rem}
nav.toc ul{margin:0;padding-left:1.2rem;list-style:circle}
a{color:var(--accent)}
pre{background:var(--code);border:1px solid var(--line);border-radius:6px;padding:.7rem .9rem;font-size:.85rem;line-height:1.4;
  white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%}
pre.stderr{border-left:4px solid #d4a72c}
pre.code{border-left:4px solid var(--accent)}
pre.sql{font-size:.8rem;margin:.3rem 0 1rem}
.output{margin:.8rem 0;max-width:100%}
.output :not(pre):not(code):not(pre *){white-space:normal !important}
.output pre{white-space:pre-wrap !important}
.output [style*="overflow"],.output [style*="max-height"]{overflow:visible !important;max-height:none !important}
.output div,.output p,.output pre,.output ul,.output ol,.output table,.output figure{max-width:100% !important}
img,svg,video,canvas{max-width:100% !important;height:auto}
figure{margin:1.2rem 0}
figcaption,p.caption{font-size:.85rem;color:var(--muted);margin:.3rem 0}
p.caption{margin-top:1rem}
.drift,dd.drift{color:var(--warn);font-weight:600}
dd.unchanged{color:#1a7f37}
table{border-collapse:collapse;max-width:100%}
.output table,.md table{font-size:.88rem;margin:.6rem 0}
th,td{white-space:normal !important;overflow-wrap:break-word;vertical-align:top}
table.tight td,table.tighter th,table.tighter td,table.stacked td,table.stacked th{overflow-wrap:anywhere}
@media print,(max-width:1000px){table.tight-print td{overflow-wrap:anywhere}}
table.tight td.n,table.tighter td.n,table.tight-print td.n{overflow-wrap:normal;white-space:nowrap !important}
pre:empty{display:none}
.output th,.output td,.md th,.md td{border:1px solid var(--line);padding:.25rem .55rem}
.output th,.md th{background:var(--code)}
.output caption{text-align:left;color:var(--muted);caption-side:top}
table.wide{font-size:11px !important;width:100%}
table.wide th,table.wide td{padding:.15rem .3rem !important}
table.stacked,table.stacked>tbody,table.stacked>thead,table.stacked>tbody>tr,table.stacked>thead>tr,table.stacked>tr,
table.stacked>tbody>tr>td,table.stacked>tbody>tr>th,table.stacked>tr>td,table.stacked>tr>th{display:block;width:auto !important}
table.stacked tr.header{display:none}
table.stacked>tbody>tr,table.stacked>tr{border:1px solid var(--line);border-radius:4px;margin:.5rem 0;padding:.3rem .6rem;break-inside:avoid}
table.stacked td,table.stacked th{border:0 !important;padding:.05rem 0 !important;text-align:left !important;background:none}
table.stacked td[data-label]::before,table.stacked th[data-label]::before{content:attr(data-label) ": ";font-weight:600;color:var(--muted)}
.freshness-note{color:var(--muted);font-size:.88rem;border-left:3px solid var(--line);padding-left:.6rem}
.error{border-left:4px solid #cf222e;background:#ffebe9;padding:.5rem .8rem;border-radius:4px;margin:.6rem 0}
section.appendix{margin-top:3rem}
.source{margin:0 0 1.2rem}
p.intro,p.note{color:var(--muted);font-size:.9rem}
footer{margin-top:3rem;color:var(--muted);font-size:.8rem;border-top:1px solid var(--line);padding-top:.8rem}
@page{margin:14mm 12mm} /* marginTopMM, marginSideMM */
@media print{
  body{font-size:11pt}
  main{max-width:none;padding:0}
  nav.toc{break-after:page}
  figure,pre.sql,dl.facts,tr,img{break-inside:avoid}
  h2,h3,h4,p.caption{break-after:avoid}
  a{color:inherit;text-decoration:none}
}
`
