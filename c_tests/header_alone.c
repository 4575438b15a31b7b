
/*
 * include/ngx_channel.h on its own, compiled as C99, C11 and (-x c++) as
 * C++17, with -Wall -Wextra -Werror -pedantic: it must define everything
 * it uses, and its ngx_channel_t must be nginx's.
 */

#include <stddef.h>

#include "ngx_channel.h"


#define STATIC_CHECK(e, m)  typedef char m[(e) ? 1 : -1]

STATIC_CHECK(sizeof(ngx_channel_t) == 4 * sizeof(void *), four_words);
STATIC_CHECK(offsetof(ngx_channel_t, command) == 0, command_at_0);
STATIC_CHECK(offsetof(ngx_channel_t, pid) == sizeof(void *), pid_in_word_1);
STATIC_CHECK(offsetof(ngx_channel_t, slot) == 2 * sizeof(void *), slot_in_word_2);
STATIC_CHECK(offsetof(ngx_channel_t, fd) == 3 * sizeof(void *), fd_in_word_3);
STATIC_CHECK(NGX_OK == 0 && NGX_ERROR == -1 && NGX_AGAIN == -2, codes);
STATIC_CHECK(NGX_CMD_OPEN_CHANNEL == 1 && NGX_CMD_CLOSE_CHANNEL == 2
             && NGX_CMD_QUIT == 3 && NGX_CMD_TERMINATE == 4
             && NGX_CMD_REOPEN == 5, commands);


int
main(void)
{
    ngx_int_t  (*w)(ngx_socket_t, ngx_channel_t *, size_t, ngx_log_t *);
    ngx_int_t  (*r)(ngx_socket_t, ngx_channel_t *, size_t, ngx_log_t *);
    ngx_int_t  (*a)(ngx_cycle_t *, ngx_fd_t, ngx_int_t, ngx_event_handler_pt);
    void       (*c)(ngx_fd_t *, ngx_log_t *);

    w = ngx_write_channel;
    r = ngx_read_channel;
    a = ngx_add_channel_event;
    c = ngx_close_channel;

    return (w && r && a && c) ? 0 : 1;
}
