/*
 * The C side of the nginx bridge: weak references to the nginx symbols
 * the bridge uses, and the ELF note that marks a binary as linked with
 * ngx-channel.
 *
 * Stable Rust cannot declare a weak extern symbol, so this file takes the
 * address of each one: it is the real symbol when nginx (or a harness with
 * nginx's objects) is linked in, and NULL in a plain C or Rust program.
 * The pointers have hidden visibility, so nginx's "-Wl,-E" does not export
 * them.  Each name is only ever used for its address, never called or read
 * here, which is why the declarations need not match nginx's prototypes.
 */

#include <stdint.h>

#pragma weak ngx_log_error_core
#pragma weak ngx_get_connection
#pragma weak ngx_free_connection
#pragma weak ngx_event_actions
#pragma weak ngx_event_flags

extern void ngx_log_error_core(void);
extern void ngx_get_connection(void);
extern void ngx_free_connection(void);
extern char ngx_event_actions[];
extern char ngx_event_flags[];

#define NGX_CHANNEL_HIDDEN  __attribute__((visibility("hidden")))

NGX_CHANNEL_HIDDEN void (*const ngx_channel_rs_log_error_core)(void)
    = ngx_log_error_core;
NGX_CHANNEL_HIDDEN void (*const ngx_channel_rs_get_connection)(void)
    = ngx_get_connection;
NGX_CHANNEL_HIDDEN void (*const ngx_channel_rs_free_connection)(void)
    = ngx_free_connection;
NGX_CHANNEL_HIDDEN char *const ngx_channel_rs_event_actions
    = ngx_event_actions;
NGX_CHANNEL_HIDDEN char *const ngx_channel_rs_event_flags
    = ngx_event_flags;


/*
 * The mark addon/guard.sh looks for (readelf -n): an ELF note owned by
 * "ngx-channel" whose description is the library's version.  This object
 * is linked whenever the channel functions come from ngx-channel (they
 * refer to the pointers above), and never otherwise.  A note is allocated
 * in the binary, so strip keeps it.
 */

#ifndef NGX_CHANNEL_VERSION
#error "build.rs defines NGX_CHANNEL_VERSION"
#endif

#define NGX_CHANNEL_NOTE_NAME  "ngx-channel"
#define NGX_CHANNEL_ALIGN4(n)  (((n) + 3) & ~3)

static const struct {
    uint32_t  namesz;
    uint32_t  descsz;
    uint32_t  type;
    char      name[NGX_CHANNEL_ALIGN4(sizeof(NGX_CHANNEL_NOTE_NAME))];
    char      desc[NGX_CHANNEL_ALIGN4(sizeof(NGX_CHANNEL_VERSION))];
} ngx_channel_note
    __attribute__((section(".note.ngx_channel"), aligned(4), used)) = {
    sizeof(NGX_CHANNEL_NOTE_NAME), sizeof(NGX_CHANNEL_VERSION), 1,
    NGX_CHANNEL_NOTE_NAME, NGX_CHANNEL_VERSION
};
