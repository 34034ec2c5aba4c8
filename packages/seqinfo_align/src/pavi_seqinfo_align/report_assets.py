"""The report's colour scheme, stylesheet and script (drawing and hover), inlined into the page."""

from __future__ import annotations

from typing import Final

#: Protein residues -> CSS class (Clustal X colour groups, by residue type).
PROTEIN_CLASSES: Final = {
    **dict.fromkeys("AILMFWV", "h"),  # hydrophobic: blue
    **dict.fromkeys("KR", "k"),  # positive: red
    **dict.fromkeys("DE", "d"),  # negative: magenta
    **dict.fromkeys("NQST", "p"),  # polar: green
    "C": "c",  # cysteine: pink
    "G": "g",  # glycine: orange
    "P": "r",  # proline: yellow
    **dict.fromkeys("HY", "a"),  # aromatic: cyan
}
#: Nucleotides -> CSS class (one colour per base).
NUCLEOTIDE_CLASSES: Final = {base: base for base in "ACGTU"}
NUCLEOTIDES: Final = frozenset("ACGTUN")

#: (class, residues, what) of each legend chip.
PROTEIN_LEGEND: Final = (
    ("h", "AILMFWV", "hydrophobic"),
    ("k", "KR", "positive"),
    ("d", "DE", "negative"),
    ("p", "NQST", "polar"),
    ("c", "C", "cysteine"),
    ("g", "G", "glycine"),
    ("r", "P", "proline"),
    ("a", "HY", "aromatic"),
)
NUCLEOTIDE_LEGEND: Final = (("A", "A", ""), ("C", "C", ""), ("G", "G", ""), ("T", "T", ""))

STYLE: Final = """
body{font:14px/1.45 "DejaVu Sans",system-ui,sans-serif;margin:0 18px 40px;color:#1d1d1f}
h1{font-size:20px;margin:14px 0 2px}h2{font-size:16px;margin:18px 0 6px}
nav a,a{color:#0645ad}nav a{margin-right:14px}
.meta{color:#555;margin:2px 0}dl{display:flex;flex-wrap:wrap;gap:2px 18px;margin:4px 0}
dt{color:#666}dt::after{content:":"}dd{margin:0 0 0 4px;font-family:"DejaVu Sans Mono",monospace}
dl div{display:flex}
pre,.mono{font:13px/1.3 "DejaVu Sans Mono",Menlo,Consolas,monospace}
pre{margin:0 0 14px}pre.aln{content-visibility:auto}pre b{font-weight:600}.u,.q{color:#777}
.grid{display:grid;grid-template-columns:max-content minmax(320px,1fr);gap:28px;align-items:start}
aside{position:sticky;top:0;max-height:100vh;overflow:auto}
@media(max-width:1100px){.grid{grid-template-columns:1fr}aside{position:static;max-height:none}}
table{border-collapse:collapse;font-size:13px}
th,td{border-bottom:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3;position:sticky;top:0}td.n{text-align:right}
tr.on td{background:#fff4b3}.bad{color:#b00020}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;align-items:center;margin:8px 0}
.h{background:#80a0f0}.k{background:#f01505}.d{background:#c048c0}.p{background:#15c015}
.c{background:#f08080}.g{background:#f09048}.r{background:#c0c000}.a{background:#15a4a4}
.A{background:#64d864}.C{background:#74a9ff}.G{background:#ffb13d}.T,.U{background:#ff6e6e}
i{font-style:normal}td.nw{white-space:nowrap}td.id{overflow-wrap:anywhere;min-width:12em}
mark{background:none;color:inherit}mark.v i,mark.w i{background:none}
mark.v{background:#111;color:#fff;font-weight:700}
mark.w{background:#fff;color:#000;box-shadow:inset 0 -3px 0 #111}
mark.on{background:#ff2d95;color:#fff;box-shadow:none}
"""

#: Alignments of at most this many residue cells are drawn at once; larger ones block by block,
#: those on screen first.
EAGER_CELLS: Final = 150_000

#: Draws the alignment blocks from the page's JSON, then highlights a hovered variant.
SCRIPT: Final = (
    r"""
(function(){
var D=JSON.parse(document.getElementById("aln-data").textContent),W=D.width,C={},R=D.rows;
var pres=document.querySelectorAll("pre.aln"),done=[],P=" ".repeat(D.pad),ends=[];
Object.keys(D.classes).forEach(function(k){C[k]=C[k.toLowerCase()]=D.classes[k]});
function esc(s){return s.replace(/[&<>"']/g,function(c){return"&#"+c.charCodeAt(0)+";"})}
function res(t){var o="",i=0,n=t.length;while(i<n){var k=C[t[i]],j=i+1;
while(j<n&&C[t[j]]===k)j++;var s=esc(t.slice(i,j));o+=k?"<i class="+k+">"+s+"</i>":s;i=j}
return o}
function mark(x,t){var own=false,ns=[],ts=[];x[2].forEach(function(n){var a=Math.abs(n);
if(n>0)own=true;ns.push(a);ts.push(D.titles[a]+(n<0?" (columns on the reference)":""))});
return'<mark class="'+(own?"v":"w")+'" data-v="'+ns.join(" ")+'" title="'+esc(ts.join("\n"))
+'">'+res(t)+"</mark>"}
function cells(r,s,e,m){var o="",at=s;(m||[]).forEach(function(x){var a=Math.max(x[0],s),
b=Math.min(x[1],e);if(a<b){o+=res(r.slice(at,a))+mark(x,r.slice(a,b));at=b}});
return o+res(r.slice(at,e))}
function name(i){var n=D.names[i],f=" ".repeat(D.pad-Array.from(n).length),l=D.long[i];
return(l===undefined?"<b>":'<b title="'+esc(l)+'">')+esc(n)+"</b>"+f}
R.forEach(function(r,i){var c=0,e=[];for(var s=0;s<D.columns;s+=W){var t=r.slice(s,s+W);
c+=t.length-t.split("-").length+1;e.push(c)}ends.push(e)});
function draw(k){if(done[k])return;done[k]=1;var s=k*W,e=Math.min(s+W,D.columns),
L=['<span class="u">'+P+D.rulers[k]+"</span>"];R.forEach(function(r,i){L.push(name(i)
+"<span class=s>"+cells(r,s,e,D.marks[i])+"</span> "+ends[i][k])});
L.push(P+'<span class="q">'+esc(D.conservation.slice(s,e))+"</span>");
pres[k].innerHTML=L.join("\n")}
pres.forEach(function(x){x.style.minHeight=(R.length+2)*1.3+"em"});
if(R.length*D.columns<=EAGER||!window.IntersectionObserver){pres.forEach(function(x,k){draw(k)})}
else{var io=new IntersectionObserver(function(es){es.forEach(function(x){if(x.isIntersecting){
var k=[].indexOf.call(pres,x.target);draw(k);io.unobserve(x.target)}})},{rootMargin:"1500px"});
pres.forEach(function(x,k){io.observe(x);if(x.id===location.hash.slice(1))draw(k)});
var next=0;(function idle(){while(next<pres.length&&done[next])next++;if(next<pres.length){
draw(next);io.unobserve(pres[next]);setTimeout(idle,10)}})()}
var lit=[],on=null;
document.addEventListener("mouseover",function(e){var t=e.target.closest("[data-v]"),
v=t?t.getAttribute("data-v"):null;if(v===on)return;on=v;
lit.forEach(function(x){x.classList.remove("on")});lit=[];if(!v)return;
v.split(" ").forEach(function(n){document.querySelectorAll('[data-v~="'+n+'"]').forEach(
function(x){x.classList.add("on");lit.push(x)})})});
})();
"""
).replace("EAGER", str(EAGER_CELLS))
