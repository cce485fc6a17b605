#!/usr/bin/env bash
# Install or update one ECS Assistant node: nginx -> uWSGI (systemd) -> the Flask app, in a venv.
#
# Runs on Alibaba Cloud Linux 3 (dnf) and Debian 12 (apt), as root, and is idempotent: run it again to
# upgrade the app or change settings. The ROS template runs it on every node through Cloud Assistant with
# the same arguments; each node finds its own private IP (instance metadata, or --self-ip) and takes the
# next address of --node-ips as the peer for nginx's fallback.
#
# Nothing secret is stored: the service gets STS credentials from the node's RAM role at run time.
#
#   --dry-run [--root DIR]  print every command; system changes (packages, user, venv, services) are
#                           only printed, configuration files are rendered and placed under DIR
#                           (default: a new temporary directory), nothing outside DIR is touched
#
# Usage: install.sh --source SRC [--node-ips IP,IP] [--self-ip IP] [--region R[,R]] [options]
set -euo pipefail
umask 022

readonly APP=ecs-assistant
readonly APP_USER=api
readonly INTERNAL_PORT=8081
readonly MIN_PYTHON_MINOR=11          # requires-python >= 3.11 (pyproject.toml)

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG=$(basename "$0")

DRY_RUN=0
ROOT=""
SOURCE=""
CONSTRAINTS=""
NODE_IPS=""
SELF_IP=""
NODE_NAME=""
REGIONS=()
EXTRA_ENV=()
OS_FAMILY=""
PYTHON=""
PIP_INDEX_URL_ARG=""
RENDER_WITH=""
ENDPOINT_FLAG="--vpc-endpoint"
HEALTH_TIMEOUT=90
METADATA_URL="http://100.100.100.200"

usage() {
    cat <<EOF
Usage: $PROG --source SRC [options]

Install or update ECS Assistant on this node (Alibaba Cloud Linux 3 or Debian 12; run as root).

  --source SRC          the project: a directory (a checkout or unpacked release), a .whl/.tar.gz file,
                        or a pip requirement such as 'ecs-assistant==0.1.0'
  --constraints FILE    pip constraints (default: requirements.lock in/next to SRC when present)
  --node-ips IP,IP,...  private IPs of all nodes; this node's peer is the next one after its own
  --self-ip IP          this node's private IP (default: instance metadata 'private-ipv4')
  --node-name NAME      node name (default: the short host name, non-word characters -> '_')
  --region R[,R]        region(s) the service answers for (repeatable; default: the service's default)
  --env KEY=VALUE       extra service setting (repeatable), e.g. ECS_ASSISTANT_CACHE_TTL=30
  --public-endpoint     call the public ECS endpoint instead of ecs-vpc.<region>.aliyuncs.com
  --python PATH         interpreter for the venv (>= 3.$MIN_PYTHON_MINOR; default: found or installed)
  --pip-index-url URL   package index for pip (default: pip's configuration)
  --os alinux|debian    override OS detection (useful with --dry-run)
  --health-timeout S    seconds to wait for /healthz (default $HEALTH_TIMEOUT)
  --dry-run             print every command instead of running it (renders the config for review)
  --root DIR            with --dry-run: prefix for every path written (default: a new temp dir)
  --render-with PATH    with --dry-run: the ecs-assistant program used to render (default: from PATH)
  --metadata-url URL    instance metadata service (default $METADATA_URL; tests use a loopback emulator)
  -h, --help            this help
EOF
}

die() {
    echo "$PROG: error: $*" >&2
    exit 1
}

note() {
    echo "==> $*"
}

show() {
    local quoted
    printf -v quoted '%q ' "$@"
    echo "+ ${quoted% }"
}

# A system change: print it (shell-quoted, so it can be pasted) and run it unless this is a dry run.
run() {
    show "$@"
    if [ "$DRY_RUN" -eq 0 ]; then
        "$@"
    fi
}

# A system change made only when CONDITION (a description) holds; a dry run prints it with the condition.
run_when() {
    local condition=$1 holds=$2
    shift 2
    if [ "$DRY_RUN" -eq 1 ]; then
        echo "$(show "$@")    # only if $condition"
    elif [ "$holds" -eq 1 ]; then
        run "$@"
    fi
}

# A file placed under $ROOT: done for real in a dry run too, since every path is inside the --root prefix.
put() {
    show "$@"
    "$@"
}

# --- arguments -------------------------------------------------------------------------------------

need_value() {
    if [ "$#" -lt 2 ] || [ -z "$2" ]; then
        die "$1 needs a value (see --help)"
    fi
}

parse_args() {
    while [ "$#" -gt 0 ]; do
        case "$1" in
            --source) need_value "$@"; SOURCE=$2; shift 2 ;;
            --constraints) need_value "$@"; CONSTRAINTS=$2; shift 2 ;;
            --node-ips) need_value "$@"; NODE_IPS=$2; shift 2 ;;
            --self-ip) need_value "$@"; SELF_IP=$2; shift 2 ;;
            --node-name) need_value "$@"; NODE_NAME=$2; shift 2 ;;
            --region) need_value "$@"; REGIONS+=("$2"); shift 2 ;;
            --env) need_value "$@"; EXTRA_ENV+=("$2"); shift 2 ;;
            --public-endpoint) ENDPOINT_FLAG="--public-endpoint"; shift ;;
            --python) need_value "$@"; PYTHON=$2; shift 2 ;;
            --pip-index-url) need_value "$@"; PIP_INDEX_URL_ARG=$2; shift 2 ;;
            --os) need_value "$@"; OS_FAMILY=$2; shift 2 ;;
            --health-timeout) need_value "$@"; HEALTH_TIMEOUT=$2; shift 2 ;;
            --dry-run) DRY_RUN=1; shift ;;
            --root) need_value "$@"; ROOT=$2; shift 2 ;;
            --render-with) need_value "$@"; RENDER_WITH=$2; shift 2 ;;
            --metadata-url) need_value "$@"; METADATA_URL=${2%/}; shift 2 ;;
            -h|--help) usage; exit 0 ;;
            *) die "unknown argument '$1' (see --help)" ;;
        esac
    done
    [ -n "$SOURCE" ] || die "--source is required (a directory, a wheel/sdist, or a pip requirement)"
    case "$OS_FAMILY" in ""|alinux|debian) ;; *) die "--os must be alinux or debian, not '$OS_FAMILY'" ;; esac
    case "$HEALTH_TIMEOUT" in ''|*[!0-9]*) die "--health-timeout must be a whole number of seconds" ;; esac
    if [ -n "$ROOT" ] && [ "$DRY_RUN" -eq 0 ]; then
        die "--root is only for --dry-run (a real install writes to /etc, /opt and /run)"
    fi
    if [ "$DRY_RUN" -eq 1 ] && [ -z "$ROOT" ]; then
        ROOT=$(mktemp -d "${TMPDIR:-/tmp}/$APP-dry-run.XXXXXX")
        note "dry run: the rendered configuration goes to $ROOT"
    fi
    if [ "$DRY_RUN" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
        die "run as root (or try --dry-run)"
    fi
}

# --- addresses ----------------------------------------------------------------------------------------

is_ipv4() {
    local IFS=.
    local -a parts
    [[ "$1" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || return 1
    read -r -a parts <<<"$1"
    local part
    for part in "${parts[@]}"; do
        [ "$part" -le 255 ] || return 1
    done
}

# This node's private IPv4 from the instance metadata service (IMDSv2 token first, then plain GET).
# Only reached when --self-ip is not given, so tests never contact the metadata address.
metadata_private_ip() {
    local token ip
    token=$(curl -fsS --max-time 2 -X PUT -H "X-aliyun-ecs-metadata-token-ttl-seconds: 60" \
        "$METADATA_URL/latest/api/token" 2>/dev/null) || token=""
    if [ -n "$token" ]; then
        ip=$(curl -fsS --max-time 2 -H "X-aliyun-ecs-metadata-token: $token" \
            "$METADATA_URL/latest/meta-data/private-ipv4" 2>/dev/null) || ip=""
    else
        ip=$(curl -fsS --max-time 2 "$METADATA_URL/latest/meta-data/private-ipv4" 2>/dev/null) || ip=""
    fi
    printf '%s' "$ip"
}

# The peer of SELF in the ring NODE_IPS (the next address after SELF, wrapping around); empty when
# SELF is the only node. Ring order spreads fallback traffic evenly when there are more than two nodes.
compute_peer() {
    local list=$1 self=$2
    local -a ips=()
    local ip i n step
    local -a raw
    IFS=, read -r -a raw <<<"$list"
    for ip in "${raw[@]}"; do
        ip=${ip//[[:space:]]/}
        [ -n "$ip" ] || continue
        is_ipv4 "$ip" || die "--node-ips: '$ip' is not an IPv4 address"
        ips+=("$ip")
    done
    n=${#ips[@]}
    [ "$n" -gt 0 ] || { printf ''; return 0; }
    for ((i = 0; i < n; i++)); do
        if [ "${ips[$i]}" = "$self" ]; then
            for ((step = 1; step < n; step++)); do
                local candidate=${ips[$(((i + step) % n))]}
                if [ "$candidate" != "$self" ]; then
                    printf '%s' "$candidate"
                    return 0
                fi
            done
            printf ''
            return 0
        fi
    done
    die "this node's IP $self is not in --node-ips ($list)"
}

resolve_identity() {
    if [ -z "$SELF_IP" ] && [ -n "$NODE_IPS" ]; then
        SELF_IP=$(metadata_private_ip)
        [ -n "$SELF_IP" ] || die "cannot read private-ipv4 from the instance metadata service; pass --self-ip"
    fi
    if [ -n "$SELF_IP" ]; then
        is_ipv4 "$SELF_IP" || die "--self-ip: '$SELF_IP' is not an IPv4 address"
    fi
    PEER_IP=""
    if [ -n "$NODE_IPS" ]; then
        PEER_IP=$(compute_peer "$NODE_IPS" "$SELF_IP")
    fi
    if [ -z "$NODE_NAME" ]; then
        NODE_NAME=$(hostname -s 2>/dev/null || hostname)
    fi
    NODE_NAME=${NODE_NAME//[^A-Za-z0-9_]/_}
    NODE_NAME=${NODE_NAME:0:40}
    note "node $NODE_NAME, private IP ${SELF_IP:-unknown}, peer ${PEER_IP:-none (single node)}"
}

# --- operating system ---------------------------------------------------------------------------------

detect_os() {
    if [ -z "$OS_FAMILY" ]; then
        [ -r /etc/os-release ] || die "cannot read /etc/os-release; pass --os alinux|debian"
        local id id_like
        # shellcheck source=/dev/null
        id=$(. /etc/os-release && echo "${ID:-}")
        # shellcheck source=/dev/null
        id_like=$(. /etc/os-release && echo "${ID_LIKE:-}")
        case " $id $id_like " in
            *" alinux "*|*" rhel "*|*" centos "*|*" fedora "*|*" anolis "*) OS_FAMILY=alinux ;;
            *" debian "*|*" ubuntu "*) OS_FAMILY=debian ;;
            *) die "unsupported OS '$id' (supported: Alibaba Cloud Linux 3 / RHEL-family, Debian 12); pass --os" ;;
        esac
    fi
    if [ "$OS_FAMILY" = alinux ]; then
        NGINX_GROUP=nginx
        NOLOGIN=/sbin/nologin
    else
        NGINX_GROUP=www-data
        NOLOGIN=/usr/sbin/nologin
    fi
    note "OS family $OS_FAMILY: nginx workers run as $NGINX_GROUP"
}

python_ok() {
    "$1" -c "import sys; sys.exit(not (sys.version_info[0] == 3 and sys.version_info[1] >= $MIN_PYTHON_MINOR))" \
        2>/dev/null
}

install_packages() {
    note "installing nginx and Python 3.$MIN_PYTHON_MINOR+"
    if [ "$OS_FAMILY" = alinux ]; then
        run dnf -y install nginx curl
        if [ -z "$PYTHON" ]; then
            # The platform python3 is 3.6 and dnf depends on it: never replace it, install a parallel
            # interpreter. python3.11 from AppStream is the expected one (UNVERIFIED on Alibaba Cloud Linux 3,
            # deployment.md §6), python3.12 the fallback; the 3.9 of §6 is too old for this project.
            if [ "$DRY_RUN" -eq 1 ]; then
                echo "$(show dnf -y install python3.11)    # if unavailable: dnf -y install python3.12"
                PYTHON=/usr/bin/python3.11
            elif dnf -y install python3.11 && python_ok /usr/bin/python3.11; then
                PYTHON=/usr/bin/python3.11
            elif dnf -y install python3.12 && python_ok /usr/bin/python3.12; then
                PYTHON=/usr/bin/python3.12
            else
                die "no Python >= 3.$MIN_PYTHON_MINOR from dnf (tried python3.11, python3.12); install one and pass --python"
            fi
        fi
    else
        run env DEBIAN_FRONTEND=noninteractive apt-get update -q
        run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx python3-venv curl
        PYTHON=${PYTHON:-/usr/bin/python3}
    fi
    if [ "$DRY_RUN" -eq 0 ]; then
        python_ok "$PYTHON" || die "$PYTHON is not Python >= 3.$MIN_PYTHON_MINOR; pass --python"
    fi
    note "Python: $PYTHON"
}

create_user() {
    local exists=0
    if [ "$DRY_RUN" -eq 0 ] && id -u "$APP_USER" >/dev/null 2>&1; then
        exists=1
    fi
    run_when "user $APP_USER does not exist" $((1 - exists)) \
        useradd --system --gid "$NGINX_GROUP" --home-dir "/opt/$APP" --no-create-home --shell "$NOLOGIN" "$APP_USER"
    # An existing user joins the nginx group, which owns the uWSGI socket.
    run_when "user $APP_USER already exists" "$exists" usermod -a -G "$NGINX_GROUP" "$APP_USER"
}

# --- the application ---------------------------------------------------------------------------------

# pip arguments for --source: a local path is made absolute; anything else is a requirement string.
resolve_source() {
    if [ -d "$SOURCE" ]; then
        SOURCE=$(cd "$SOURCE" && pwd)
        [ -f "$SOURCE/pyproject.toml" ] || die "--source $SOURCE has no pyproject.toml"
        [ -n "$CONSTRAINTS" ] || { [ -f "$SOURCE/requirements.lock" ] && CONSTRAINTS=$SOURCE/requirements.lock; } || true
    elif [ -f "$SOURCE" ]; then
        case "$SOURCE" in
            *.whl|*.tar.gz|*.zip) ;;
            *) die "--source file $SOURCE is not a wheel (.whl) or sdist (.tar.gz/.zip)" ;;
        esac
        SOURCE=$(cd "$(dirname "$SOURCE")" && pwd)/$(basename "$SOURCE")
        local beside
        beside=$(dirname "$SOURCE")/requirements.lock
        [ -n "$CONSTRAINTS" ] || { [ -f "$beside" ] && CONSTRAINTS=$beside; } || true
    elif [[ "$SOURCE" == */* ]]; then
        die "--source $SOURCE does not exist"
    fi
    if [ -n "$CONSTRAINTS" ]; then
        [ -f "$CONSTRAINTS" ] || die "--constraints $CONSTRAINTS does not exist"
        note "pinned by $CONSTRAINTS"
    else
        note "no requirements.lock found: dependencies resolve to the newest allowed versions"
    fi
}

install_app() {
    local venv=/opt/$APP/venv
    local -a pip=("$venv/bin/pip" install --quiet --disable-pip-version-check)
    [ -z "$PIP_INDEX_URL_ARG" ] || pip+=(--index-url "$PIP_INDEX_URL_ARG")
    note "installing the app into $venv"
    run install -d -m 0755 "/opt/$APP"
    local missing=1
    if [ -x "$venv/bin/python" ]; then
        missing=0
    fi
    run_when "$venv does not exist yet" "$missing" "$PYTHON" -m venv "$venv"
    run "${pip[@]}" --upgrade pip
    # The lock file constrains versions without installing the test-only packages it also lists.
    if [ -n "$CONSTRAINTS" ]; then
        run "${pip[@]}" --upgrade --constraint "$CONSTRAINTS" "$SOURCE"
    else
        run "${pip[@]}" --upgrade "$SOURCE"
    fi
    # Same version, new code (a rebuilt checkout): reinstall the project itself, not its dependencies.
    if [ -e "$SOURCE" ]; then
        run "${pip[@]}" --force-reinstall --no-deps "$SOURCE"
    fi
}

render_config() {
    local program=/opt/$APP/venv/bin/ecs-assistant
    if [ "$DRY_RUN" -eq 1 ]; then
        program=${RENDER_WITH:-$(command -v ecs-assistant || true)}
        [ -n "$program" ] || die "--dry-run renders with ecs-assistant: put it on PATH or pass --render-with"
    fi
    STAGE=$ROOT/var/lib/$APP/rendered
    local -a args=(deploy render --out "$STAGE" --node-name "$NODE_NAME" --nginx-group "$NGINX_GROUP"
        --app-user "$APP_USER" --venv "/opt/$APP/venv" --config-dir "/etc/$APP" "$ENDPOINT_FLAG")
    [ -z "$PEER_IP" ] || args+=(--peer "$PEER_IP:$INTERNAL_PORT")
    local item
    for item in "${REGIONS[@]+"${REGIONS[@]}"}"; do args+=(--region "$item"); done
    for item in "${EXTRA_ENV[@]+"${EXTRA_ENV[@]}"}"; do args+=(--env "$item"); done
    note "rendering the node configuration into $STAGE"
    # Rendering writes only under $ROOT, so it runs for real in a dry run too (the output is the review).
    show "$program" "${args[@]}"
    "$program" "${args[@]}" >/dev/null || die "rendering the configuration failed (see above)"
}

install_config() {
    local nginx_dir=$ROOT/etc/nginx
    note "installing the configuration"
    put install -D -m 0644 "$STAGE/uwsgi.ini" "$ROOT/etc/$APP/uwsgi.ini"
    # Not secret (credentials come from the RAM role), but settings such as API keys may be added later.
    put install -D -m 0640 "$STAGE/environment" "$ROOT/etc/$APP/environment"
    put install -D -m 0644 "$STAGE/ecs-assistant-uwsgi.service" "$ROOT/etc/systemd/system/$APP-uwsgi.service"
    put install -D -m 0644 "$STAGE/nginx-ecs-assistant.conf" "$nginx_dir/conf.d/$APP.conf"
    # Keep the distribution's nginx.conf once, then install ours (see the header of nginx.conf.in).
    if [ -e "$nginx_dir/nginx.conf" ] && [ ! -e "$nginx_dir/nginx.conf.before-$APP" ]; then
        put cp -p "$nginx_dir/nginx.conf" "$nginx_dir/nginx.conf.before-$APP"
    fi
    sed -e "s|@NGINX_USER@|$NGINX_GROUP|g" -e "s|@CONF_DIR@|/etc/nginx|g" \
        -e "s|@LOG_DIR@|/var/log/nginx|g" -e "s|@PID_FILE@|/run/nginx.pid|g" \
        "$SCRIPT_DIR/nginx/nginx.conf.in" >"$STAGE/nginx.conf"
    put install -D -m 0644 "$STAGE/nginx.conf" "$nginx_dir/nginx.conf"
    if [ "$OS_FAMILY" = debian ]; then
        # Debian's default site also claims `listen 80 default_server`.
        put rm -f "$nginx_dir/sites-enabled/default"
    fi
}

open_host_firewall() {
    # CLB forwards from and health-checks from 100.64.0.0/10; the peer reaches the internal listener.
    local firewalld=0 enforcing=0
    if [ "$DRY_RUN" -eq 0 ] && command -v firewall-cmd >/dev/null && systemctl is-active --quiet firewalld; then
        firewalld=1
    fi
    run_when "firewalld is active" "$firewalld" firewall-cmd --permanent --add-service=http
    run_when "firewalld is active" "$firewalld" firewall-cmd --permanent --add-port="$INTERNAL_PORT/tcp"
    run_when "firewalld is active" "$firewalld" firewall-cmd --reload
    # SELinux enforcing: let nginx connect to the peer over TCP. Whether the unix socket also needs a
    # label on Alibaba Cloud Linux 3 is UNVERIFIED (deployment.md §6); /healthz below will tell.
    if [ "$DRY_RUN" -eq 0 ] && command -v getenforce >/dev/null && [ "$(getenforce)" = Enforcing ]; then
        enforcing=1
    fi
    run_when "SELinux is enforcing" "$enforcing" setsebool -P httpd_can_network_connect 1
}

start_services() {
    note "starting the services"
    run systemctl daemon-reload
    run systemctl enable "$APP-uwsgi.service" nginx.service
    run systemctl restart "$APP-uwsgi.service"
    run nginx -t
    run systemctl reload-or-restart nginx.service
}

wait_healthy() {
    local url port
    note "waiting up to ${HEALTH_TIMEOUT}s for /healthz"
    for port in 80 "$INTERNAL_PORT"; do
        url=http://127.0.0.1:$port/healthz
        show curl -fsS --max-time 2 -o /dev/null "$url"
        [ "$DRY_RUN" -eq 0 ] || continue
        local deadline=$((SECONDS + HEALTH_TIMEOUT))
        until curl -fsS --max-time 2 -o /dev/null "$url"; do
            if [ "$SECONDS" -ge "$deadline" ]; then
                echo "--- journalctl -u $APP-uwsgi (last 30 lines) ---" >&2
                journalctl -u "$APP-uwsgi" -n 30 --no-pager >&2 || true
                die "$url did not answer within ${HEALTH_TIMEOUT}s"
            fi
            sleep 1
        done
    done
    note "node $NODE_NAME is serving"
}

main() {
    parse_args "$@"
    detect_os
    resolve_source
    resolve_identity
    install_packages
    create_user
    install_app
    render_config
    install_config
    open_host_firewall
    start_services
    wait_healthy
    if [ "$DRY_RUN" -eq 1 ]; then
        note "dry run complete: nothing was changed outside $ROOT"
    fi
}

main "$@"
