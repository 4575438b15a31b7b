
/*
 * The differential harness: nginx's own ngx_channel.c (compiled with ref_
 * names) and ngx-channel (the real names, from libngx_channel.a) in one
 * binary with nginx's real objects, run case by case from identical
 * starting states, and everything observable compared.
 */

#ifndef _HARNESS_H_INCLUDED_
#define _HARNESS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_channel.h>


/* nginx's C, compiled from nginx's ngx_channel.c with renamed symbols */

ngx_int_t ref_ngx_write_channel(ngx_socket_t s, ngx_channel_t *ch,
    size_t size, ngx_log_t *log);
ngx_int_t ref_ngx_read_channel(ngx_socket_t s, ngx_channel_t *ch,
    size_t size, ngx_log_t *log);
ngx_int_t ref_ngx_add_channel_event(ngx_cycle_t *cycle, ngx_fd_t fd,
    ngx_int_t event, ngx_event_handler_pt handler);
void ref_ngx_close_channel(ngx_fd_t *fd, ngx_log_t *log);


typedef struct {
    const char  *name;
    ngx_int_t  (*write)(ngx_socket_t s, ngx_channel_t *ch, size_t size,
                        ngx_log_t *log);
    ngx_int_t  (*read)(ngx_socket_t s, ngx_channel_t *ch, size_t size,
                       ngx_log_t *log);
    ngx_int_t  (*add)(ngx_cycle_t *cycle, ngx_fd_t fd, ngx_int_t event,
                      ngx_event_handler_pt handler);
    void       (*close)(ngx_fd_t *fd, ngx_log_t *log);
} impl_t;


#define OBS_TEXT  2048

/* everything a case observes of one implementation */

typedef struct {
    ngx_int_t      rc;
    int            err;
    size_t         ch_len;
    u_char         ch[64];         /* *ch after the call */
    ssize_t        peer_n;         /* bytes the peer received, -1: none */
    u_char         peer[128];
    char           fds[256];       /* fds seen: number and which file */
    struct {
        dev_t      dev;
        ino_t      ino;
    }              files[8];
    ngx_uint_t     files_n;
    int            leaked;         /* fds open after - before the call */
    char           log[OBS_TEXT];  /* log lines, timestamps stripped */
    char           state[OBS_TEXT]; /* add_channel_event: what it did */
} obs_t;


typedef struct {
    const char  *name;              /* starts with the contract ids */
    void       (*run)(impl_t *impl, obs_t *o);
    unsigned     compare_fds:1;     /* compare received fds and leaks */
    unsigned     ub_in_c:1;         /* nginx 1.28's C reads uninitialised
                                       memory (H1): not compared there */
} case_t;


extern ngx_log_t  harness_log;


void obs_trace(impl_t *impl, const char *call, obs_t *o);
void obs_fd(obs_t *o, const char *what, int fd);
void fds_snapshot(void);
int fds_leaked(void);
void log_reset(obs_t *o);
void log_level(ngx_uint_t level);
ngx_uint_t full_fd_table_case(impl_t *impl, obs_t *o);

extern case_t  write_cases[], read_cases[], add_cases[], close_cases[],
               fault_cases[], injected_cases[];


#endif /* _HARNESS_H_INCLUDED_ */
