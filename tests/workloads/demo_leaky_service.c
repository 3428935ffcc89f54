/* The README's demo: a "service" that handles requests.  Most memory is
 * freed, but every response is also kept in a cache that is never pruned.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "wl.h"

struct response {
	char body[4000];
};

NOINLINE char *parse_request(int id)
{
	char *buf = malloc(2048);

	snprintf(buf, 2048, "GET /item/%d", id);
	return buf;
}

NOINLINE void cache_response(struct response *r)
{
	static struct response *cache[100000];
	static int n;

	cache[n++ % 100000] = r;	/* never evicted: the leak */
}

NOINLINE struct response *render(const char *req)
{
	struct response *r = malloc(sizeof(*r));

	snprintf(r->body, sizeof(r->body), "<html>%s</html>", req);
	return r;
}

NOINLINE void handle_request(int id)
{
	char *req = parse_request(id);
	struct response *r = render(req);

	cache_response(r);
	free(req);
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 6;
	struct timespec tick = { 0, 20 * 1000 * 1000 };	/* 50 requests/s */

	for (int i = 0; i < seconds * 50; i++) {
		handle_request(i);
		nanosleep(&tick, NULL);
	}
	return 0;
}
