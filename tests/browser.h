/* tests/browser.h: an SVG driven in headless Chromium.
 *
 * Both run `node tests/browser/svgcheck.js` (paths relative to the
 * repository root, where the runner starts) and parse the JSON object it
 * prints; see that script for the fields.  Node.js and Chromium are part
 * of the project's dependencies (tools/install-deps.sh): a test that needs
 * them fails, it does not skip, when they are missing.
 */
#ifndef BROWSER_H
#define BROWSER_H

#include <stdbool.h>
#include <jansson.h>

/* node on PATH, /usr/bin/chromium and the driver script are present. */
bool browser_available(void);

/* Load svg, click the widest frame named click (NULL: no zoom checks),
 * search the regular expression search (NULL: none), write a screenshot to
 * png (NULL: none).  0 and *result (the caller json_decref()s it), or -1
 * with the reason on stderr.
 */
int browser_check_svg(const char *svg, const char *click, const char *search, const char *png,
		      json_t **result);

/* Load svg with JavaScript disabled: what a reader without scripts sees.
 * The result also has "labels", the number of frames with visible text,
 * and "controls", the number of script controls shown (should be 0).
 */
int browser_render_static(const char *svg, const char *png, json_t **result);

#endif /* BROWSER_H */
