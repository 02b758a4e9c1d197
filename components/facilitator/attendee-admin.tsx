"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { reissueReturnCodeAction, removeAttendeeAction, signOutAttendeeAction, signOutEveryoneAction } from "@/app/(facilitator)/actions";
import { CopyButton } from "@/components/auth/copy-button";
import { ActionStatus, useActionStatus } from "@/components/ui/action-status";

export interface AttendeeEntry {
  id: string;
  name: string;
  email: string;
  createdAt: string;
  lastSeenAt: string;
  removedAt: string | null;
  hasReturnCode: boolean;
}

const time = (iso: string) => new Date(iso).toISOString().slice(11, 16) + " UTC";

export function AttendeeAdmin({ people }: { people: AttendeeEntry[] }) {
  const router = useRouter();
  const { status, pending, run } = useActionStatus();
  const [issued, setIssued] = useState<{ name: string; code: string } | null>(null);
  const [confirmRemove, setConfirmRemove] = useState<string | null>(null);
  const [confirmAll, setConfirmAll] = useState(false);
  const joined = people.filter((p) => !p.removedAt).length;

  return (
    <section aria-labelledby="attendees-heading" className="space-y-3">
      <div className="flex flex-wrap items-center gap-3">
        <h2 id="attendees-heading" className="mr-auto text-lg font-semibold">
          {joined} joined{people.length > joined ? `, ${people.length - joined} removed` : ""}
        </h2>
        {!confirmAll ? (
          <button type="button" data-testid="sign-out-everyone" disabled={pending || joined === 0} onClick={() => setConfirmAll(true)} className="rounded-md border border-bad px-3 py-1 font-medium text-bad disabled:opacity-50">
            Sign everyone out
          </button>
        ) : (
          <span role="alertdialog" aria-label="Sign everyone out?" className="flex items-center gap-2">
            <span>Every attendee must sign in again (with their return code).</span>
            <button
              type="button"
              data-testid="sign-out-everyone-confirm"
              onClick={() => {
                setConfirmAll(false);
                run(() => signOutEveryoneAction(), (d) => `Signed out ${d.count} attendee(s).`);
              }}
              className="rounded-md bg-bad px-3 py-1 font-medium text-bg"
            >
              Yes, sign everyone out
            </button>
            <button type="button" onClick={() => setConfirmAll(false)} className="rounded-md border border-line px-3 py-1">Cancel</button>
          </span>
        )}
      </div>
      <ActionStatus status={status} />
      {issued && (
        <div data-testid="issued-return-code" role="status" className="flex flex-wrap items-center gap-3 rounded-md border-2 border-warn p-3">
          <span>
            New return code for <strong>{issued.name}</strong> (shown only now; their old code and sessions no longer work):
          </span>
          <code data-testid="issued-return-code-value" className="font-mono text-lg tracking-widest">{issued.code}</code>
          <CopyButton text={issued.code} label={`Copy the return code for ${issued.name}`} />
          <button type="button" onClick={() => setIssued(null)} className="rounded-md border border-line px-3 py-1 text-sm">Done</button>
        </div>
      )}
      <div className="overflow-x-auto">
        <table data-testid="attendee-admin" className="w-full text-left text-sm">
          <thead>
            <tr className="border-b border-line">
              <th className="px-2 py-1">Name</th>
              <th className="px-2 py-1">Email</th>
              <th className="px-2 py-1">Joined</th>
              <th className="px-2 py-1">Last seen</th>
              <th className="px-2 py-1">Sign-in</th>
              <th className="px-2 py-1"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {people.map((p) => (
              <tr key={p.id} data-testid="attendee-admin-row" data-email={p.email} className={`border-b border-line ${p.removedAt ? "text-muted" : ""}`}>
                <td className="px-2 py-1">{p.name}</td>
                <td className="px-2 py-1">{p.email}</td>
                <td className="px-2 py-1">{time(p.createdAt)}</td>
                <td className="px-2 py-1">{time(p.lastSeenAt)}</td>
                <td className="px-2 py-1">{p.removedAt ? "Removed" : p.hasReturnCode ? "Return code set" : "Code at next sign-in"}</td>
                <td className="flex flex-wrap gap-2 px-2 py-1">
                  <button
                    type="button"
                    disabled={pending}
                    onClick={() => run(() => reissueReturnCodeAction({ attendeeId: p.id }), (d) => `New return code for ${d.name}.`, (d) => { setIssued(d); router.refresh(); })}
                    className="rounded-md border border-line px-2 py-0.5"
                  >
                    {p.removedAt ? "Let back in (new code)" : "New return code"}
                  </button>
                  {!p.removedAt && (
                    <button
                      type="button"
                      disabled={pending}
                      onClick={() => run(() => signOutAttendeeAction({ attendeeId: p.id }), () => `Signed out ${p.name}.`)}
                      className="rounded-md border border-line px-2 py-0.5"
                    >
                      Sign out
                    </button>
                  )}
                  {!p.removedAt &&
                    (confirmRemove === p.id ? (
                      <span role="alertdialog" aria-label={`Remove ${p.name}?`} className="flex gap-2">
                        <button
                          type="button"
                          onClick={() => {
                            setConfirmRemove(null);
                            run(
                              () => removeAttendeeAction({ attendeeId: p.id }),
                              (d) => `Removed ${d.name}${d.environmentDeleting ? "; their environment is being deleted" : ""}.`,
                              () => router.refresh(),
                            );
                          }}
                          className="rounded-md bg-bad px-2 py-0.5 text-bg"
                        >
                          Yes, remove {p.name}
                        </button>
                        <button type="button" onClick={() => setConfirmRemove(null)} className="rounded-md border border-line px-2 py-0.5">Cancel</button>
                      </span>
                    ) : (
                      <button type="button" disabled={pending} onClick={() => setConfirmRemove(p.id)} className="rounded-md border border-bad px-2 py-0.5 text-bad">
                        Remove
                      </button>
                    ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {people.length === 0 && <p className="text-muted">Nobody has joined yet.</p>}
    </section>
  );
}
