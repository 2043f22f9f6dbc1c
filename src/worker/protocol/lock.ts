// The workspace lock's liveness rule as the extension's Runs view reads it: a lock is held while its pid is
// alive (see ACTIVE_LOCK_FILE). The rule itself is the run-folder lock contract of src/greater/lock.ts.
export { isAlive } from '../../greater/lock';
