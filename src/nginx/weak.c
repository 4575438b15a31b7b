/*
 * Weak references to the nginx symbols the bridge uses.
 *
 * Stable Rust cannot declare a weak extern symbol, so this file takes the
 * address of each one: it is the real symbol when nginx (or a harness with
 * nginx's objects) is linked in, and NULL in a plain C or Rust program.
 * The pointers have hidden visibility, so nginx's "-Wl,-E" does not export
 * them.  Each name is only ever used for its address, never called or read
 * here, which is why the declarations need not match nginx's prototypes.
 */

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
