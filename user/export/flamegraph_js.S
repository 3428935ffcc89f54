/* user/flamegraph_js.S: user/flamegraph.js, NUL-terminated, as the
 * symbol flamegraph_js that user/flamegraph.c embeds in every SVG.
 */
	.section .rodata
	.global flamegraph_js
	.type flamegraph_js, @object
flamegraph_js:
	.incbin "user/export/flamegraph.js"
	.byte 0
	.size flamegraph_js, . - flamegraph_js

	.section .note.GNU-stack,"",@progbits
