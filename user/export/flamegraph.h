/* user/export/flamegraph.h: an interactive SVG flame graph of a profile.
 *
 * One self-contained SVG (no network, no external file), 1200 px wide, the
 * root at the bottom as in flamegraph.pl.  Samples are merged into a tree
 * by frame name along the path from the root, under a synthetic "all";
 * children are sorted by name; a frame's width is its value (for a diff
 * profile, max(NEW, BASE) so that both growth and shrinkage show).
 *
 * Colours: a hue family per category (the category of the samples that
 * give a frame most of its value), green for JIT frames, grey for frames
 * without a symbol, neutral for processes; a diff profile is coloured by
 * delta instead: red grew, blue shrank.  Each frame has a <title> (name,
 * value with unit, share of the total), so the file reads without
 * JavaScript; the embedded script (user/flamegraph.js) adds click to zoom,
 * Reset Zoom / Escape, search by regular expression (Search, "/" or
 * Ctrl-F) with "Matched: N%", and a details line on hover.
 *
 * Size is bounded whatever the profile: siblings narrower than 1/2000 of
 * the total are drawn as one "[N small frames]" frame, and that threshold
 * rises until at most FLAMEGRAPH_MAX_FRAMES frames are drawn.
 */
#ifndef FLAMEGRAPH_H
#define FLAMEGRAPH_H

#include <stdio.h>
#include "export/profile.h"

#define FLAMEGRAPH_MAX_FRAMES 4000

/* Write p as SVG to out; an empty profile gives a graph that says there
 * is nothing to show.  p is not changed.  0, -ENOMEM, or -EIO when out
 * failed.
 */
int flamegraph__write(const struct profile *p, FILE *out);

#endif /* FLAMEGRAPH_H */
