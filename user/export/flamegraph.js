/* user/flamegraph.js: what makes memleakbpf's flame graphs interactive.
 *
 * user/flamegraph.c embeds it, through user/flamegraph_js.S, in a CDATA
 * section at the end of every SVG; the SVG reads fine without it.  The
 * frames are the <g class="f"> of #frames in preorder (a frame, then its
 * callees), each with data-x (left edge) and data-v (width) in the
 * profile's unit, data-d (depth), a <title> whose first line is the name,
 * a <rect> and a <text>.  Merged and root frames are also class "syn":
 * they are not searched.
 *
 * Never write the characters that would end the CDATA section here (the
 * writer splits them anyway); a unit test checks it.
 */
(function () {
	"use strict";

	var HIGHLIGHT = "rgb(230,0,230)";
	var HINT = "Click a frame to zoom, Escape to reset; \"/\" or Ctrl-F to search";
	var box = document.getElementById("frames");
	var details = document.getElementById("details");
	var matched = document.getElementById("matched");
	var unzoomBtn = document.getElementById("unzoom");
	var searchBtn = document.getElementById("search");
	var clearBtn = document.getElementById("clear");
	var frames = [], zoomed = -1, term = null;
	var total, x0, gw, cw;

	if (!box)	/* an empty profile: nothing to zoom or search */
		return;
	total = +box.getAttribute("data-total");
	x0 = +box.getAttribute("data-x0");
	gw = +box.getAttribute("data-w");
	cw = +box.getAttribute("data-cw");

	/* Each frame, as drawn at load (to restore it), and its extent in the
	 * preorder: e is the index of its last callee.
	 */
	function collect() {
		var node, stack = [], i, fr, tip, rect, text;

		for (node = box.firstElementChild; node; node = node.nextElementSibling) {
			if (!node.classList.contains("f"))
				continue;
			tip = node.getElementsByTagName("title")[0];
			rect = node.getElementsByTagName("rect")[0];
			text = node.getElementsByTagName("text")[0];
			if (!tip || !rect || !text)
				continue;
			node.fgIndex = frames.length;
			frames.push({
				g: node, rect: rect, text: text,
				tip: tip.textContent, name: tip.textContent.split("\n")[0],
				x: +node.getAttribute("data-x"), v: +node.getAttribute("data-v"),
				d: +node.getAttribute("data-d"), e: 0,
				syn: node.classList.contains("syn"), fill: rect.getAttribute("fill"),
				rx: rect.getAttribute("x"), rw: rect.getAttribute("width"),
				tx: text.getAttribute("x"), label: text.textContent
			});
		}
		for (i = 0; i < frames.length; i++) {
			fr = frames[i];
			while (stack.length && frames[stack[stack.length - 1]].d >= fr.d)
				frames[stack.pop()].e = i - 1;
			stack.push(i);
		}
		while (stack.length)
			frames[stack.pop()].e = frames.length - 1;
	}

	/* As the writer does it: whole, cut to "..", or nothing under 3 chars. */
	function fitLabel(name, w) {
		var fit = Math.floor((w - 6) / cw), chars;

		if (fit < 3)
			return "";
		chars = Array.from(name);
		return chars.length <= fit ? name : chars.slice(0, fit - 2).join("") + "..";
	}

	function place(fr, x, w) {
		fr.rect.setAttribute("x", x.toFixed(2));
		fr.rect.setAttribute("width", w.toFixed(2));
		fr.text.setAttribute("x", (x + 3).toFixed(2));
		fr.text.textContent = fitLabel(fr.name, w);
	}

	function show(fr, on, parent) {
		fr.g.style.display = on ? "" : "none";
		fr.g.classList.toggle("parent", !!parent);
	}

	function unzoom() {
		var i, fr;

		for (i = 0; i < frames.length; i++) {
			fr = frames[i];
			show(fr, true, false);
			fr.rect.setAttribute("x", fr.rx);
			fr.rect.setAttribute("width", fr.rw);
			fr.text.setAttribute("x", fr.tx);
			fr.text.textContent = fr.label;
		}
		zoomed = -1;
		unzoomBtn.style.display = "none";
	}

	/* Frame k spans the width, its callees scaled with it, its callers
	 * full width and faded; every other frame is hidden.
	 */
	function zoom(k) {
		var z = frames[k], scale, i, fr;

		if (k === 0 || !(z.v > 0)) {
			unzoom();
			return;
		}
		if (k === zoomed)
			return;
		scale = gw / z.v;
		for (i = 0; i < frames.length; i++) {
			fr = frames[i];
			if (i >= k && i <= z.e) {
				show(fr, true, false);
				place(fr, x0 + (fr.x - z.x) * scale, fr.v * scale);
			} else if (i < k && fr.e >= k) {
				show(fr, true, true);
				place(fr, x0, gw);
			} else {
				show(fr, false, false);
			}
		}
		zoomed = k;
		unzoomBtn.style.display = "";
	}

	function escapeRegExp(s) {
		return s.replace(/[.*+?^${}()|[\\\]]/g, "\\$&");
	}

	/* A regular expression; one that does not compile is taken as text. */
	function matcher(t) {
		var re;

		try {
			re = new RegExp(t);
		} catch (err) {
			re = new RegExp(escapeRegExp(t));
		}
		return function (s) { return re.test(s); };
	}

	function mark(fr, on) {
		fr.rect.setAttribute("fill", on ? HIGHLIGHT : fr.fill);
		fr.g.classList.toggle("match", on);
	}

	function clearSearch() {
		var i;

		term = null;
		for (i = 0; i < frames.length; i++)
			mark(frames[i], false);
		matched.textContent = " ";
		clearBtn.style.display = "none";
	}

	/* Highlight the frames whose name matches t; the share counts a match
	 * inside another match once.
	 */
	function search(t) {
		var test, i, fr, end = -1, sum = 0, pct;

		if (t === null || t === undefined)	/* the prompt was cancelled */
			return;
		if (t === "") {
			clearSearch();
			return;
		}
		term = t;
		test = matcher(t);
		for (i = 0; i < frames.length; i++) {
			fr = frames[i];
			if (fr.syn || !test(fr.name)) {
				mark(fr, false);
				continue;
			}
			mark(fr, true);
			if (i > end) {
				sum += fr.v;
				end = fr.e;
			}
		}
		pct = total > 0 ? 100 * sum / total : 0;
		matched.textContent = "Matched: " + (pct > 0 && pct < 0.1 ? "< 0.1" : pct.toFixed(1)) + "%";
		clearBtn.style.display = "";
	}

	function askSearch() {
		search(window.prompt("Search frames: a regular expression (or plain text)",
				     term === null ? "" : term));
	}

	function frameOf(ev) {
		var t;

		for (t = ev.target; t && t !== box; t = t.parentNode)
			if (t.fgIndex !== undefined)
				return t.fgIndex;
		return -1;
	}

	function listen() {
		box.addEventListener("click", function (ev) {
			var k = frameOf(ev);

			if (k >= 0)
				zoom(k);
		});
		box.addEventListener("mouseover", function (ev) {
			var k = frameOf(ev);

			if (k >= 0)
				details.textContent = frames[k].tip.split("\n").join("  |  ");
		});
		box.addEventListener("mouseout", function () {
			details.textContent = HINT;
		});
		unzoomBtn.addEventListener("click", unzoom);
		searchBtn.addEventListener("click", askSearch);
		clearBtn.addEventListener("click", clearSearch);
		window.addEventListener("keydown", function (ev) {
			if (ev.key === "Escape") {
				unzoom();
				clearSearch();
			} else if (ev.key === "/" ||
				   ((ev.ctrlKey || ev.metaKey) && (ev.key === "f" || ev.key === "F"))) {
				ev.preventDefault();	/* not the browser's own find */
				askSearch();
			}
		});
	}

	collect();
	listen();
	searchBtn.style.display = "";
	details.textContent = HINT;
})();
