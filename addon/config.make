# Sourced by nginx's auto/make: appends to objs/Makefile the rule that
# builds libngx_channel.a for this nginx tree (NGINX_BUILD_DIR: build.rs
# checks every structure layout against it and takes NGX_DEBUG from it) and
# a guard that fails the build, removing the binary, unless the channel
# functions in it came from ngx-channel.

ngx_channel_rs_src=`pwd`
ngx_channel_rs_objs=`cd "$NGX_OBJS" && pwd`

# NGX_CHANNEL_FEATURES at configure time: Cargo features of the library,
# e.g. NGX_CHANNEL_FEATURES=upstream-next (nginx >= 1.31.5's read path)
ngx_channel_rs_features=
if [ -n "${NGX_CHANNEL_FEATURES:-}" ]; then
    ngx_channel_rs_features="--features $NGX_CHANNEL_FEATURES"
    echo " + ngx-channel features: $NGX_CHANNEL_FEATURES"
fi

cat << END                                                    >> $NGX_MAKEFILE

# ngx-channel: the archive is rebuilt whenever cargo finds it stale; its
# timestamp only changes when its contents do, so nginx relinks only then.
$ngx_channel_rs_lib:	ngx_channel_rs_always
	cd "$ngx_channel_rs_root" && \\
	NGINX_BUILD_DIR="$ngx_channel_rs_objs" \\
	NGINX_SOURCE_DIR="$ngx_channel_rs_src" \\
	cargo rustc --release --lib --no-default-features $ngx_channel_rs_features \\
	    --crate-type staticlib --crate-type cdylib \\
	    --target-dir "$ngx_channel_rs_objs/ngx_channel_rs"

ngx_channel_rs_always:

.PHONY:	ngx_channel_rs_always ngx_channel_rs_guard

build:	ngx_channel_rs_guard

ngx_channel_rs_guard:	$NGX_OBJS${ngx_dirsep}nginx$ngx_binext
	"$ngx_channel_rs_root/addon/guard.sh" $NGX_OBJS${ngx_dirsep}nginx$ngx_binext

END
