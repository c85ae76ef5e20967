%% Benchmark driver for the Erlang original (ALARA), run by `python -m benchmarks.erlang_paired`:
%% ALARA's public API only (the `alara` application, its `pool_size`, generate_random_bytes/1).
%% It answers commands from stdin, one `key value` line each, so that the Python side can
%% alternate short Erlang and alara bursts seconds apart:
%%
%%   seq N        -> seq_p50_us <median us of N sequential 32-byte requests, 3 workers>
%%   callers N    -> callers_per_s <requests/s of 500 processes x N requests of 32 bytes>
%%   start N      -> start_ms <median ms of N starts of 1,000 workers to the first reply>
%%   quit or eof  -> the pool stops and serve/1 returns
%%
%% Usage: erl -noshell -pa ... -eval 'alara_bench:serve([])' -s init stop
-module(alara_bench).
-export([serve/1]).

-define(WORKERS, 3).
-define(CALLERS, 500).

serve(_Flags) ->
    ok = logger:set_primary_config(level, none),  % silent, as alara is by default
    {ok, _} = application:ensure_all_started(crypto),
    start_pool(?WORKERS),
    serve_loop(),
    ok = application:stop(alara).

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
    [request() || _ <- lists:seq(1, 500)],
    report(seq_p50_us, median([timed(fun request/0) || _ <- count(N)]) / 1000);
serve_command(["callers", N]) ->
    report(callers_per_s, throughput(list_to_integer(N)));
serve_command(["start", N]) ->
    report(start_ms, median([start_time(1000) || _ <- count(N)]) / 1000000);
serve_command(Other) ->
    %% One reply line per command, even a bad one, so the client never waits for nothing.
    io:format("error ~p~n", [Other]).

count(N) -> lists:seq(1, list_to_integer(N)).

report(Key, Value) when is_float(Value) ->
    io:format("~s ~.6f~n", [Key, Value]);
report(Key, Value) ->
    io:format("~s ~p~n", [Key, Value]).

start_pool(Workers) ->
    _ = application:stop(alara),
    ok = application:set_env(alara, pool_size, Workers),
    ok = application:start(alara).

median(Samples) ->
    Sorted = lists:sort(Samples),
    N = length(Sorted),
    case N rem 2 of
        1 -> lists:nth(N div 2 + 1, Sorted);
        0 -> (lists:nth(N div 2, Sorted) + lists:nth(N div 2 + 1, Sorted)) / 2
    end.

timed(Fun) ->
    Begin = erlang:monotonic_time(nanosecond),
    Fun(),
    erlang:monotonic_time(nanosecond) - Begin.

request() ->
    <<_:32/binary>> = alara:generate_random_bytes(32).

throughput(Calls) ->
    Self = self(),
    Go = make_ref(),
    Pids = [spawn_link(fun() -> caller(Self, Go, Calls) end) || _ <- lists:seq(1, ?CALLERS)],
    Elapsed = timed(fun() ->
        [Pid ! Go || Pid <- Pids],
        [receive {done, Pid} -> ok end || Pid <- Pids]
    end),
    ?CALLERS * Calls / (Elapsed / 1.0e9).

caller(Parent, Go, Calls) ->
    receive Go -> ok end,
    [request() || _ <- lists:seq(1, Calls)],
    Parent ! {done, self()}.

%% A pool of Workers started and asked once, timed; then the usual pool again, untimed.
start_time(Workers) ->
    _ = application:stop(alara),
    ok = application:set_env(alara, pool_size, Workers),
    Elapsed = timed(fun() -> ok = application:start(alara), request() end),
    start_pool(?WORKERS),
    Elapsed.
