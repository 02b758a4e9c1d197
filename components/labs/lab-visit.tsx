"use client";

import { useEffect } from "react";
import { visitLabAction } from "@/app/(attendee)/actions";

/** Tells the facilitator's roster which lab the attendee has open (after the page shows, never while it renders). */
export function LabVisit({ slug }: { slug: string }) {
  useEffect(() => {
    void visitLabAction({ slug });
  }, [slug]);
  return null;
}
