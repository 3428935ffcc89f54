#!/usr/bin/env node
/* tests/browser/svgcheck.js: drive a flame graph SVG in headless Chromium.
 *
 *   node tests/browser/svgcheck.js FILE.svg [--click NAME [--zoom-png FILE.png]]
 *                                  [--search REGEX] [--png FILE.png]
 *   node tests/browser/svgcheck.js FILE.svg --no-script [--png FILE.png]
 *
 * Talks the DevTools protocol over --remote-debugging-pipe (JSON messages,
 * NUL-terminated, read by Chromium on fd 3 and written on fd 4), with real
 * mouse and key events: loads the file, clicks the widest frame called
 * NAME and checks that it zooms (spans the width), resets with the "Reset
 * Zoom" control and with Escape, searches REGEX through the "Search"
 * control (answering its prompt) and through "/" and Ctrl-F, and prints one
 * JSON object on stdout (--png: a screenshot at the end, --zoom-png: one
 * while zoomed):
 *
 *   {"loaded", "errors", "title", "frames", "clicked", "zoomed", "reset",
 *    "escape", "matches", "matched_text", "cleared", "shortcut", "details"}
 *
 * With --no-script, JavaScript is disabled, what a reader without scripts
 * sees: {"loaded", "errors", "title", "frames", "labels", "controls"},
 * labels the frames with visible text, controls the script's controls shown.
 *
 * errors: exceptions, console errors, error log entries, and any request
 * that leaves file: (the SVG must be self-contained).  Exit 1 with a
 * message on stderr when Chromium cannot start or the page cannot be
 * driven; everything ends within TIMEOUT_MS.  Node 20, no packages.
 */
"use strict";

const { spawn } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const TIMEOUT_MS = 60000;
const STEP_MS = 15000;		/* one protocol command or event */

function die(msg) {
	process.stderr.write("svgcheck: " + msg + "\n");
	cleanup();
	process.exit(1);
}

const USAGE = "usage: svgcheck.js FILE.svg [--click NAME [--zoom-png FILE.png]] [--search REGEX] " +
	      "[--png FILE.png] [--no-script]";

function parseArgs(argv) {
	const a = { svg: null, click: null, search: null, png: null, zoomPng: null, noScript: false };

	for (let i = 0; i < argv.length; i++) {
		const opt = argv[i].replace(/^--/, "");

		if (argv[i] === "--no-script")
			a.noScript = true;
		else if (argv[i].startsWith("--") && ["click", "search", "png", "zoom-png"].includes(opt) && i + 1 < argv.length)
			a[opt === "zoom-png" ? "zoomPng" : opt] = argv[++i];
		else if (!argv[i].startsWith("--") && a.svg === null)
			a.svg = argv[i];
		else
			die(USAGE);
	}
	if (a.svg === null)
		die(USAGE);
	return a;
}

/* The DevTools protocol over Chromium's pipe. */
class Cdp {
	constructor(proc) {
		this.out = proc.stdio[3];
		this.nextId = 1;
		this.pending = new Map();
		this.listeners = new Set();
		this.chunks = [];
		proc.stdio[4].on("data", (chunk) => this.receive(chunk));
		this.out.on("error", () => {});	/* Chromium gone: the commands time out */
	}

	receive(chunk) {
		let end;

		while ((end = chunk.indexOf(0)) >= 0) {
			this.chunks.push(chunk.subarray(0, end));
			const text = Buffer.concat(this.chunks).toString("utf8");

			this.chunks = [];
			chunk = chunk.subarray(end + 1);
			this.dispatch(JSON.parse(text));
		}
		if (chunk.length)
			this.chunks.push(chunk);
	}

	dispatch(msg) {
		if (msg.id === undefined) {
			for (const fn of [...this.listeners])
				fn(msg);
			return;
		}
		const p = this.pending.get(msg.id);

		if (!p)
			return;
		this.pending.delete(msg.id);
		clearTimeout(p.timer);
		if (msg.error)
			p.reject(new Error(p.method + ": " + msg.error.message));
		else
			p.resolve(msg.result);
	}

	send(method, params, sessionId) {
		const id = this.nextId++;
		const msg = { id, method, params: params || {} };

		if (sessionId)
			msg.sessionId = sessionId;
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.pending.delete(id);
				reject(new Error(method + ": no answer in " + STEP_MS + " ms"));
			}, STEP_MS);

			this.pending.set(id, { resolve, reject, method, timer });
			this.out.write(JSON.stringify(msg) + "\0");
		});
	}

	on(fn) {
		this.listeners.add(fn);
	}

	/* The first event for which pred holds, or null after ms. */
	waitFor(pred, ms) {
		return new Promise((resolve) => {
			const fn = (msg) => {
				if (!pred(msg))
					return;
				clearTimeout(timer);
				this.listeners.delete(fn);
				resolve(msg);
			};
			const timer = setTimeout(() => {
				this.listeners.delete(fn);
				resolve(null);
			}, ms);

			this.listeners.add(fn);
		});
	}
}

let chromium = null;
let profileDir = null;

function cleanup() {
	if (chromium && chromium.exitCode === null && chromium.signalCode === null)
		chromium.kill("SIGKILL");
	if (profileDir) {
		try {
			fs.rmSync(profileDir, { recursive: true, force: true });
		} catch (err) {
			/* Chromium may still be writing to it: best effort */
		}
		profileDir = null;
	}
}

function launch() {
	profileDir = fs.mkdtempSync(path.join(os.tmpdir(), "svgcheck-"));
	const args = [
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--remote-debugging-pipe", "--user-data-dir=" + profileDir,
	];
	let log = "";

	if (!fs.existsSync(CHROMIUM))
		die(CHROMIUM + " not found: install chromium (tools/install-deps.sh)");
	chromium = spawn(CHROMIUM, args, { stdio: ["ignore", "pipe", "pipe", "pipe", "pipe"] });
	chromium.on("error", (err) => die("cannot start " + CHROMIUM + ": " + err.message));
	chromium.stdout.on("data", () => {});
	chromium.stderr.on("data", (d) => {
		log = (log + d.toString()).slice(-4000);
	});
	chromium.on("exit", (code, sig) => {
		if (!chromium.closing)
			die(CHROMIUM + " exited (" + (sig || code) + ") before the check ended:\n" + log);
	});
	return new Cdp(chromium);
}

/* Functions the checks call in the page, under window.__svgcheck. */
const PAGE_HELPERS = `(() => {
	const frames = () => Array.from(document.querySelectorAll("#frames g.f"));
	const nameOf = (g) => { const t = g.querySelector("title"); return t ? t.textContent.split("\\n")[0] : ""; };
	const box = (el) => { const r = el.getBoundingClientRect(); return { x: r.left, y: r.top, w: r.width, h: r.height }; };
	const shown = (el) => el && getComputedStyle(el).display !== "none";
	window.__svgcheck = {
		info() {
			const root = document.documentElement;
			return {
				svg: root.localName === "svg" && root.namespaceURI === "http://www.w3.org/2000/svg",
				parsererror: document.getElementsByTagNameNS("*", "parsererror").length,
				title: document.title,
				frames: frames().length,
				width: Math.ceil(root.getBoundingClientRect().width),
				height: Math.ceil(root.getBoundingClientRect().height),
			};
		},
		find(name) {
			let best = -1, bw = -1;
			frames().forEach((g, i) => {
				const w = g.querySelector("rect").getBoundingClientRect().width;
				if (nameOf(g) === name && w > bw) { best = i; bw = w; }
			});
			return best;
		},
		rect(i) { return box(frames()[i].querySelector("rect")); },
		visible() { return frames().filter(shown).length; },
		control(id) { const el = document.getElementById(id); return shown(el) ? box(el) : null; },
		matches() { return document.querySelectorAll("#frames g.f.match").length; },
		labels() { return frames().filter((g) => g.querySelector("text").textContent.trim() !== "").length; },
		controls() { return ["unzoom", "search", "clear"].filter((id) => shown(document.getElementById(id))).length; },
		text(id) { const el = document.getElementById(id); return el ? el.textContent.trim() : ""; },
	};
	return true;
})()`;

class Page {
	constructor(cdp, sessionId) {
		this.cdp = cdp;
		this.session = sessionId;
		this.errors = [];
		this.promptText = "";
		this.prompts = 0;
		cdp.on((msg) => this.event(msg));
	}

	send(method, params) {
		return this.cdp.send(method, params, this.session);
	}

	event(msg) {
		const p = msg.params || {};

		if (msg.sessionId !== this.session)
			return;
		if (msg.method === "Runtime.exceptionThrown") {
			const d = p.exceptionDetails || {};

			this.errors.push("exception: " + ((d.exception && d.exception.description) || d.text));
		} else if (msg.method === "Runtime.consoleAPICalled" && (p.type === "error" || p.type === "assert")) {
			this.errors.push("console." + p.type + ": " +
					 (p.args || []).map((a) => a.value !== undefined ? a.value : a.description).join(" "));
		} else if (msg.method === "Log.entryAdded" && p.entry && p.entry.level === "error") {
			this.errors.push("log: " + p.entry.text + (p.entry.url ? " (" + p.entry.url + ")" : ""));
		} else if (msg.method === "Network.requestWillBeSent" && !/^(file|data|about):/.test(p.request.url)) {
			this.errors.push("network request: " + p.request.url);
		} else if (msg.method === "Page.javascriptDialogOpening") {
			this.prompts++;
			this.send("Page.handleJavaScriptDialog", { accept: true, promptText: this.promptText })
				.catch((err) => this.errors.push("dialog: " + err.message));
		}
	}

	async eval(expr) {
		const r = await this.send("Runtime.evaluate", { expression: expr, returnByValue: true });

		if (r.exceptionDetails)
			throw new Error("in the page: " + (r.exceptionDetails.exception ?
				r.exceptionDetails.exception.description : r.exceptionDetails.text));
		return r.result.value;
	}

	call(fn, ...args) {
		return this.eval("window.__svgcheck." + fn + "(" + args.map((a) => JSON.stringify(a)).join(",") + ")");
	}

	async click(box) {
		const at = { x: box.x + box.w / 2, y: box.y + box.h / 2 };
		const b = Object.assign({ button: "left", clickCount: 1 }, at);

		await this.send("Input.dispatchMouseEvent", Object.assign({ type: "mouseMoved" }, at));
		await this.send("Input.dispatchMouseEvent", Object.assign({ type: "mousePressed" }, b));
		await this.send("Input.dispatchMouseEvent", Object.assign({ type: "mouseReleased" }, b));
	}

	async key(key, code, vk, text, modifiers) {
		const k = { key, code, windowsVirtualKeyCode: vk, modifiers: modifiers || 0 };

		await this.send("Input.dispatchKeyEvent", Object.assign({ type: text ? "keyDown" : "rawKeyDown", text }, k));
		await this.send("Input.dispatchKeyEvent", Object.assign({ type: "keyUp" }, k));
	}

	/* Do act, which should open a prompt, and answer it with text. */
	async answerPrompt(text, act) {
		const before = this.prompts;

		this.promptText = text;
		await act();
		for (let t = 0; t < 50 && this.prompts === before; t++)
			await new Promise((r) => setTimeout(r, 100));
		return this.prompts > before;
	}
}

async function screenshot(page, file) {
	const shot = await page.send("Page.captureScreenshot", { format: "png" });

	fs.writeFileSync(file, Buffer.from(shot.data, "base64"));
}

async function open(cdp, file, noScript) {
	const { targetId } = await cdp.send("Target.createTarget", { url: "about:blank" });
	const { sessionId } = await cdp.send("Target.attachToTarget", { targetId, flatten: true });
	const page = new Page(cdp, sessionId);

	for (const domain of ["Page", "Runtime", "Log", "Network"])
		await page.send(domain + ".enable");
	await page.send("Emulation.setDeviceMetricsOverride",
			{ width: 1200, height: 900, deviceScaleFactor: 1, mobile: false });
	if (noScript)
		await page.send("Emulation.setScriptExecutionDisabled", { value: true });
	const loaded = cdp.waitFor((m) => m.sessionId === sessionId && m.method === "Page.loadEventFired", STEP_MS);
	const nav = await page.send("Page.navigate", { url: "file://" + path.resolve(file) });

	if (nav.errorText)
		throw new Error("cannot load " + file + ": " + nav.errorText);
	if (!await loaded)
		throw new Error("cannot load " + file + ": no load event");
	await page.eval(PAGE_HELPERS);
	return page;
}

/* Click the widest frame called name: it must then span the width, and
 * Reset Zoom, then Escape, must put it back.
 */
async function checkZoom(page, name, zoomPng, out) {
	const k = await page.call("find", name);

	if (k < 0)
		return;
	const before = await page.call("rect", k), full = (await page.call("rect", 0)).w;
	const nframes = await page.call("visible");
	const same = (r) => Math.abs(r.w - before.w) < 0.01 && Math.abs(r.x - before.x) < 0.01;

	await page.click(before);
	out.clicked = true;
	let after = await page.call("rect", k);
	out.zoomed = before.w < full - 0.5 && Math.abs(after.w - full) < 0.5 &&
		     !!await page.call("control", "unzoom");
	await page.send("Input.dispatchMouseEvent", { type: "mouseMoved", x: after.x + after.w / 2, y: after.y + after.h / 2 });
	out.details = await page.call("text", "details");
	if (zoomPng)
		await screenshot(page, zoomPng);
	const unzoom = await page.call("control", "unzoom");
	if (unzoom)
		await page.click(unzoom);
	out.reset = !!unzoom && same(await page.call("rect", k)) && await page.call("visible") === nframes &&
		    !await page.call("control", "unzoom");

	await page.click(before);
	after = await page.call("rect", k);
	await page.key("Escape", "Escape", 27);
	out.escape = Math.abs(after.w - full) < 0.5 && same(await page.call("rect", k)) &&
		     await page.call("visible") === nframes;
}

/* Search through the Search control, clear it, then "/" and Ctrl-F. */
async function checkSearch(page, regex, out) {
	const search = await page.call("control", "search");

	if (!search || !await page.answerPrompt(regex, () => page.click(search))) {
		page.errors.push("no search prompt");
		return;
	}
	out.matches = await page.call("matches");
	out.matched_text = await page.call("text", "matched");
	const clear = await page.call("control", "clear");
	if (clear)
		await page.click(clear);
	out.cleared = !!clear && await page.call("matches") === 0 && await page.call("text", "matched") === "";

	const slash = await page.answerPrompt(regex, () => page.key("/", "Slash", 191, "/")) &&
		      await page.call("matches") === out.matches;
	await page.key("Escape", "Escape", 27);
	const ctrlf = await page.answerPrompt(regex, () => page.key("f", "KeyF", 70, undefined, 2)) &&
		      await page.call("matches") === out.matches &&
		      await page.call("text", "matched") === out.matched_text;
	out.shortcut = slash && ctrlf;
}

async function main() {
	const a = parseArgs(process.argv.slice(2));
	const out = {
		loaded: false, errors: [], title: "", frames: 0, clicked: false, zoomed: false,
		reset: false, escape: false, matches: 0, matched_text: "", cleared: false,
		shortcut: false, details: "",
	};

	if (!fs.existsSync(a.svg))
		die(a.svg + ": no such file");
	setTimeout(() => die("timed out after " + TIMEOUT_MS + " ms"), TIMEOUT_MS);
	const cdp = launch();
	const page = await open(cdp, a.svg, a.noScript);
	const info = await page.call("info");

	out.loaded = info.svg && info.parsererror === 0;
	out.title = info.title;
	out.frames = info.frames;
	await page.send("Emulation.setDeviceMetricsOverride",
			{ width: Math.max(info.width, 1), height: Math.min(Math.max(info.height, 1), 8000),
			  deviceScaleFactor: 1, mobile: false });
	if (a.noScript) {
		for (const k of Object.keys(out))
			if (!["loaded", "errors", "title", "frames"].includes(k))
				delete out[k];
		out.labels = await page.call("labels");
		out.controls = await page.call("controls");
	}
	if (!a.noScript && out.loaded && out.frames && a.click !== null)
		await checkZoom(page, a.click, a.zoomPng, out);
	if (!a.noScript && out.loaded && out.frames && a.search !== null)
		await checkSearch(page, a.search, out);
	if (a.png !== null)
		await screenshot(page, a.png);
	out.errors = page.errors;
	process.stdout.write(JSON.stringify(out) + "\n");
	chromium.closing = true;
	await Promise.race([cdp.send("Browser.close").catch(() => {}),
			    new Promise((r) => setTimeout(r, 3000))]);
	await new Promise((r) => {
		if (chromium.exitCode !== null || chromium.signalCode !== null)
			return r();
		chromium.on("exit", r);
		setTimeout(r, 3000);
	});
	cleanup();
	process.exit(0);
}

for (const sig of ["SIGINT", "SIGTERM"])
	process.on(sig, () => die("killed by " + sig));
main().catch((err) => die(err.message));
