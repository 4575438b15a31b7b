# Sourced by nginx's auto/make: appends to objs/Makefile the rule that
# builds libngx_channel.a for this nginx tree (scripts/lean-lib.sh, with
# NGINX_BUILD_DIR: build.rs measures this nginx's layout and NGX_DEBUG, and
# writes what it learned to the record objs/ngx_channel_rs/build.env) and
# the guard that fails the build, removing the binary, unless the channel
# functions in it are ngx-channel's.

ngx_channel_rs_src=`pwd`
ngx_channel_rs_objs=`cd "$NGX_OBJS" && pwd`
ngx_channel_rs_record=$ngx_channel_rs_objs/ngx_channel_rs/build.env

# NGX_CHANNEL_FEATURES at configure time: Cargo features of the library.
# Ours reads as this tree's own ngx_channel.c does: after nginx's fd-table
# fix (commit c650b3ec5: EMSGSIZE and EMFILE skip a message), with
# upstream-next; NGX_CHANNEL_FEATURES=upstream-next selects it for any nginx.
# The record says which read path the library was built with.
ngx_channel_rs_features=${NGX_CHANNEL_FEATURES:-}
if grep NGX_EMSGSIZE src/os/unix/ngx_channel.c >/dev/null 2>&1; then
    case " $ngx_channel_rs_features " in
        *" upstream-next "*) ;;
        *) ngx_channel_rs_features="$ngx_channel_rs_features upstream-next" ;;
    esac
fi
ngx_channel_rs_features=`echo $ngx_channel_rs_features`
if [ -n "$ngx_channel_rs_features" ]; then
    echo " + ngx-channel features: $ngx_channel_rs_features"
fi

cat << END                                                    >> $NGX_MAKEFILE

# ngx-channel: the archive is rebuilt whenever cargo finds it stale; its
# timestamp only changes when its contents do, so nginx relinks only then.
$ngx_channel_rs_lib:	ngx_channel_rs_always
	NGINX_BUILD_DIR="$ngx_channel_rs_objs" \\
	NGINX_SOURCE_DIR="$ngx_channel_rs_src" \\
	NGX_CHANNEL_FEATURES="$ngx_channel_rs_features" \\
	NGX_CHANNEL_RECORD="$ngx_channel_rs_record" \\
	"$ngx_channel_rs_root/scripts/lean-lib.sh" "$ngx_channel_rs_objs/ngx_channel_rs"

ngx_channel_rs_always:

.PHONY:	ngx_channel_rs_always ngx_channel_rs_guard

build:	ngx_channel_rs_guard

ngx_channel_rs_guard:	binary
	. "$ngx_channel_rs_record" && "$ngx_channel_rs_root/addon/guard.sh" "\$\$BINARY"

END
