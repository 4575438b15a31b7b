
/*
 * Helpers shared by the case files: channels as nginx makes them, a raw
 * sender and a raw receiver that record what crossed the wire.
 */

#ifndef _UTIL_H_INCLUDED_
#define _UTIL_H_INCLUDED_


#include "harness.h"


int channel(int fds[2], int type);
void close_pair(int fds[2]);
void message(ngx_channel_t *ch, ngx_uint_t command, int fd);
void peer_recv(obs_t *o, int s);
void raw_send(int s, void *data, size_t len, int *fds, int nfds);
void keep_ch(obs_t *o, ngx_channel_t *ch, size_t len);
void traced_write(impl_t *impl, obs_t *o, int s, ngx_channel_t *ch,
    size_t size);
void traced_read(impl_t *impl, obs_t *o, int s, ngx_channel_t *ch,
    size_t size);
void inject_errno(int err);
void inject_control(void *data, size_t len);


#endif /* _UTIL_H_INCLUDED_ */
