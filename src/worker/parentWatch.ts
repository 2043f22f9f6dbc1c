// The worker must never outlive the extension host that forked it (a GPU process left behind holds
// memory): exit when the IPC channel closes, and poll the parent pid in case the channel lingers.
import { isAlive } from './protocol/lock';

export function exitWithParent(parentPid: number, onExit: (why: string) => void, pollMs = 3000): () => void {
  const gone = (why: string) => {
    clearInterval(timer);
    onExit(why);
  };
  const onDisconnect = () => gone('IPC channel closed');
  process.on('disconnect', onDisconnect);
  const timer = setInterval(() => {
    // reparenting (ppid changes) is the usual sign on POSIX; the pid check covers the rest
    if (process.ppid !== parentPid || !isAlive(parentPid)) gone(`parent process ${parentPid} is gone`);
  }, pollMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    process.off('disconnect', onDisconnect);
  };
}
