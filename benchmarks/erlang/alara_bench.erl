%% Benchmark driver for the Erlang original (ALARA), run by `python -m benchmarks.erlang`.
%%
%% It calls ALARA only through its public API (the `alara` application with its `pool_size`
%% setting, alara:generate_random_bytes/1, alara:get_nodes/0) plus plain OTP (exit/2), and
%% prints one `key value` line per figure for the Python side to read:
%%
%%   seq_p50_us       sequential 32-byte requests, 3 workers: median microseconds
%%   callers_per_s    500 processes x Calls requests of 32 bytes, 3 workers: requests/s
%%   mib_mb_per_s     1 MiB requests, 3 workers: MB/s (10^6 B/s) of the median request
%%   start_ms         application start with 1,000 workers to the first reply: median ms
%%   restart_us       exit(Worker, kill) to a new live worker in get_nodes(): median us
%%
%% Usage: erl -noshell -pa ... -eval 'alara_bench:main([Quick])' -s init stop
%% (Quick = true | false). ALARA's supervisor gives up after 10 restarts in 5 s, so the
%% restart row kills in batches of 8 and restarts the application between batches, untimed.
%%
%% serve/1 is the long-lived form, for `python -m benchmarks.erlang_paired`: it starts the pool
%% once and answers commands read from stdin, one `key value` line per command, so that the
%% Python side can alternate short Erlang and alara bursts seconds apart (the machine's slow and
%% fast phases last minutes; two whole runs minutes apart do not see the same machine):
%%
%%   seq N        -> seq_p50_us <median us of N sequential 32-byte requests, after a warm-up>
%%   restart N    -> restart_us <median us of N kills>; the pool is back to 3 workers after
%%   answer N     -> answer_us <median us of N kills, each to the replacement's first reply
%%                   (alara_node:get_random_bytes(New, 32), the worker asked directly)>
%%   schedulers   -> schedulers <schedulers online> (to record that `+S 1` took effect)
%%   quit or eof  -> the pool stops and serve/1 returns
%%
%% Usage: erl -noshell -pa ... -eval 'alara_bench:serve([])' -s init stop
-module(alara_bench).
-export([main/1, serve/1]).

-define(WORKERS, 3).
-define(CALLERS, 500).
-define(MIB, 1048576).
-define(BATCH, 8).

main([Quick]) ->
    {Seq, Calls, Rounds, Mibs, Starts, Kills} =
        case Quick of
            true -> {2000, 10, 1, 3, 1, 40};
            false -> {20000, 100, 5, 12, 3, 400}
        end,
    ok = logger:set_primary_config(level, none),  % silent, as alara is by default
    {ok, _} = application:ensure_all_started(crypto),
    start_pool(?WORKERS),
    report(seq_p50_us, median(sequential(Seq)) / 1000),
    report(callers_per_s, median([throughput(Calls) || _ <- lists:seq(1, Rounds)])),
    report(mib_mb_per_s, ?MIB / (median(large(Mibs)) / 1000)),
    report(restart_us, median(restarts(Kills, [])) / 1000),
    report(start_ms, median([start_time(1000) || _ <- lists:seq(1, Starts)]) / 1000000),
    report(schedulers, erlang:system_info(schedulers_online)),
    stop_pool().

serve(_Flags) ->
    ok = logger:set_primary_config(level, none),
    {ok, _} = application:ensure_all_started(crypto),
    start_pool(?WORKERS),
    serve_loop(),
    stop_pool().

serve_loop() ->
    case io:get_line("") of
        eof -> ok;
        {error, _} -> ok;
        Line ->
            case string:lexemes(string:trim(Line), " ") of
                ["quit"] -> ok;
                Command ->
                    serve_command(Command),
                    serve_loop()
            end
    end.

serve_command(["seq", N]) ->
    report(seq_p50_us, median(sequential(list_to_integer(N))) / 1000);
serve_command(["restart", N]) ->
    serve_kills(restart_us, fun kill_one/0, N);
serve_command(["answer", N]) ->
    serve_kills(answer_us, fun kill_to_answer/0, N);
serve_command(["schedulers"]) ->
    report(schedulers, erlang:system_info(schedulers_online));
serve_command(Other) ->
    %% One reply line per command, even a bad one, so the client never waits for nothing.
    io:format("error ~p~n", [Other]).

serve_kills(Key, Kill, N) ->
    Samples = batches(Kill, list_to_integer(N), []),
    %% The last batch may leave the supervisor near its restart limit: a fresh pool, untimed,
    %% so the next command starts from the same state as the first.
    start_pool(?WORKERS),
    report(Key, median(Samples) / 1000).

report(Key, Value) when is_float(Value) ->
    io:format("~s ~.6f~n", [Key, Value]);
report(Key, Value) ->
    io:format("~s ~p~n", [Key, Value]).

now_ns() -> erlang:monotonic_time(nanosecond).

start_pool(Workers) ->
    _ = application:stop(alara),
    ok = application:set_env(alara, pool_size, Workers),
    ok = application:start(alara).

stop_pool() ->
    ok = application:stop(alara).

median(Samples) ->
    Sorted = lists:sort(Samples),
    N = length(Sorted),
    case N rem 2 of
        1 -> lists:nth(N div 2 + 1, Sorted);
        0 -> (lists:nth(N div 2, Sorted) + lists:nth(N div 2 + 1, Sorted)) / 2
    end.

timed(Fun) ->
    Begin = now_ns(),
    Fun(),
    now_ns() - Begin.

request() ->
    <<_:32/binary>> = alara:generate_random_bytes(32).

sequential(N) ->
    [request() || _ <- lists:seq(1, 500)],
    [timed(fun request/0) || _ <- lists:seq(1, N)].

throughput(Calls) ->
    Self = self(),
    Go = make_ref(),
    Pids = [spawn_link(fun() -> caller(Self, Go, Calls) end) || _ <- lists:seq(1, ?CALLERS)],
    Begin = now_ns(),
    [Pid ! Go || Pid <- Pids],
    [receive {done, Pid} -> ok end || Pid <- Pids],
    ?CALLERS * Calls / ((now_ns() - Begin) / 1.0e9).

caller(Parent, Go, Calls) ->
    receive Go -> ok end,
    [request() || _ <- lists:seq(1, Calls)],
    Parent ! {done, self()}.

large(N) ->
    _ = alara:generate_random_bytes(?MIB),
    [timed(fun() -> <<_:?MIB/binary>> = alara:generate_random_bytes(?MIB) end)
     || _ <- lists:seq(1, N)].

start_time(Workers) ->
    _ = application:stop(alara),
    ok = application:set_env(alara, pool_size, Workers),
    Elapsed = timed(fun() -> ok = application:start(alara), request() end),
    start_pool(?WORKERS),
    Elapsed.

restarts(Left, Acc) ->
    batches(fun kill_one/0, Left, Acc).

batches(_Kill, Left, Acc) when Left =< 0 ->
    Acc;
batches(Kill, Left, Acc) ->
    start_pool(?WORKERS),
    Batch = [Kill() || _ <- lists:seq(1, min(?BATCH, Left))],
    batches(Kill, Left - ?BATCH, Batch ++ Acc).

kill_one() ->
    timed_kill(fun(_New) -> ok end).

%% The same kill, timed on to the replacement's first reply.
kill_to_answer() ->
    timed_kill(fun(New) -> <<_:32/binary>> = alara_node:get_random_bytes(New, 32) end).

%% Kill the first worker, wait for its replacement, run Then(New): the nanoseconds it took.
timed_kill(Then) ->
    Old = alara:get_nodes(),
    [Victim | _] = Old,
    Begin = now_ns(),
    exit(Victim, kill),
    Then(wait_replaced(Old)),
    now_ns() - Begin.

%% No event announces a restart, so this asks the supervisor until a worker that was not
%% there before is listed and alive; that worker.
wait_replaced(Old) ->
    Now = alara:get_nodes(),
    case [Pid || Pid <- Now, not lists:member(Pid, Old), is_process_alive(Pid)] of
        [] -> wait_replaced(Old);
        [New | _] -> New
    end.
