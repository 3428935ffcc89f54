# tools/soak.mk: what `make soak` (tools/soak.sh) runs besides memleakbpf.
$(OUTPUT)/soak/soak_load: tools/soak/soak_load.c
	mkdir -p $(@D)
	$(CC) -O2 -g -Wall -Wextra -pthread -o $@ $< -ldl
